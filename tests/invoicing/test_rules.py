"""The invoicing rules alone: the registration number (and a corporation's check digit, by the Ministry of
Finance's ordinance on corporate numbers), the tax per rate rounded once, the due date of the payment terms."""

import datetime as dt

import pytest

from invoicing import rules

#: Corporate numbers as the National Tax Agency's public register shows them (the Agency itself, Toyota Motor
#: Corporation), and the worked example that explanations of the ordinance's formula give.
REAL = ["7000012050002", "1180301018771", "7123456789012"]


@pytest.mark.parametrize("number", REAL)
def test_real_corporate_numbers_have_the_check_digit_the_ordinance_computes(number):
    assert rules.corporate_check_digit(number[1:]) == int(number[0])
    assert rules.registration_number_problem(f"T{number}", corporation=True) == ""


@pytest.mark.parametrize("number", REAL)
def test_one_digit_typed_wrong_is_caught_in_a_corporation_s_number(number):
    wrong = number[:5] + str((int(number[5]) + 1) % 10) + number[6:]
    problem = rules.registration_number_problem(f"T{wrong}", corporation=True)
    assert "not a corporate number" in problem
    assert f"would be {rules.corporate_check_digit(wrong[1:])}" in problem


def test_the_check_digit_is_always_one_to_nine():
    assert {rules.corporate_check_digit(f"{n:012d}") for n in range(0, 10**12, 7_777_777_777)} <= set(
        range(1, 10)
    )
    assert rules.corporate_check_digit("000000000000") == 9


def test_a_sole_proprietor_s_number_is_checked_for_its_form_only():
    assert rules.registration_number_problem("T1234567890123", corporation=False) == ""
    assert rules.registration_number_problem("T1234567890123", corporation=True) != ""


@pytest.mark.parametrize(
    "number",
    [
        "",
        "7000012050002",
        "T700001205000",
        "T70000120500021",
        "t7000012050002",
        "T７000012050002",
        "X7000012050002",
    ],
)
def test_a_number_of_the_wrong_form_is_refused_with_the_form_to_write(number):
    assert "T and 13 digits" in rules.registration_number_problem(number, corporation=False)


def test_tax_is_rounded_once_per_rate_by_the_setting():
    assert rules.tax_for_rate(1_005, 10) == 100
    assert rules.tax_for_rate(1_005, 10, "half_up") == 101
    assert rules.tax_for_rate(1_001, 10, "ceiling") == 101
    assert rules.tax_for_rate(1_000, 10, "ceiling") == 100
    assert rules.tax_for_rate(1_005, 8) == 80


@pytest.mark.parametrize(
    ("issued", "terms", "due"),
    [
        (dt.date(2026, 11, 2), rules.END_OF_NEXT_MONTH, dt.date(2026, 12, 31)),
        (dt.date(2026, 12, 1), rules.END_OF_NEXT_MONTH, dt.date(2027, 1, 31)),
        (dt.date(2027, 1, 5), rules.END_OF_NEXT_MONTH, dt.date(2027, 2, 28)),
        (dt.date(2026, 11, 2), "days_30", dt.date(2026, 12, 2)),
        (dt.date(2026, 12, 20), "days_14", dt.date(2027, 1, 3)),
    ],
)
def test_the_due_date_follows_the_payment_terms(issued, terms, due):
    assert rules.due_date(issued, terms) == due
