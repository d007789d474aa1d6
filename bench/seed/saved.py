"""The team's saved views (the saved views room): each person keeps a few views of the lists their role opens,
and each Account manager shares two with the team, as a team of this size would after a year. What a reader's
Views page lists grows with the team, not with the customers."""

from __future__ import annotations

from bench.seed.people import PEOPLE, ids_of

#: By role: (URL name, the list's title, query) of each person's own views.
OWN = {
    "account_manager": [
        ("customers:list", "Customers", "q=株式会社&owner=mine&sort=name"),
        ("subscriptions:list", "Subscriptions", "renewal_type=STAY&owner=mine"),
        ("schedule:agenda", "Scheduled changes", "owner=mine"),
    ],
    "support": [
        ("customers:list", "Customers", "status=trial&owner="),
        ("options:list", "Options", "owner="),
    ],
    "finance": [("invoicing:search", "Issued invoices", "")],
    "admin": [("customers:list", "Customers", "owner=unassigned")],
}
#: What each Account manager shares with the team.
SHARED = [
    ("customers:list", "Customers", "product=ADV&owner="),
    ("subscriptions:list", "Subscriptions", "trial_within=30&owner="),
]


def saved_views_seed() -> None:
    from django.urls import reverse

    from saved.models import SavedView

    rows = []
    for role, views in OWN.items():
        for n, owner in enumerate(ids_of(role)):
            person = PEOPLE[role][n]
            for i, (url_name, title, query) in enumerate(views):
                rows.append(
                    SavedView(
                        owner_id=owner,
                        name=f"{person}: {title} {i + 1}",
                        path=reverse(url_name),
                        list_title=title,
                        query=query,
                    )
                )
            if role == "account_manager":
                for i, (url_name, title, query) in enumerate(SHARED):
                    rows.append(
                        SavedView(
                            owner_id=owner,
                            name=f"Team: {title} {n + 1}.{i + 1}",
                            path=reverse(url_name),
                            list_title=title,
                            query=query,
                            shared=True,
                        )
                    )
    SavedView.objects.bulk_create(rows)
