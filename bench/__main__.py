"""`make bench`: run every benchmark in bench/ (or those named on the command line), one after another."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Commands of bench/ that are not benchmarks: run by name (`python -m bench seed ...`), never by a bare
#: `make bench`.
TOOLS = {"seed"}


def available_benchmarks() -> list[str]:
    """Packages with a __main__.py (bench/customers/) and single modules that run as a script
    (bench/scheduled.py); helper modules such as bench/common.py are not benchmarks."""
    packages = {p.name for p in HERE.iterdir() if (p / "__main__.py").exists()}
    modules = {
        p.stem
        for p in HERE.glob("*.py")
        if not p.name.startswith("_") and 'if __name__ == "__main__":' in p.read_text(encoding="utf-8")
    }
    return sorted(packages | modules)


def main(args: list[str]) -> int:
    """`python -m bench [name ...] [--option ...]`: options after the names go to the one benchmark named
    (`python -m bench scale --sizes 1000,10000`)."""
    cut = next((i for i, a in enumerate(args) if a.startswith("-")), len(args))
    names, options = args[:cut], args[cut:]
    if options and len(names) != 1:
        print("Options go to one benchmark: python -m bench NAME --option ...", file=sys.stderr)
        return 2
    available = available_benchmarks()
    chosen = names or [name for name in available if name not in TOOLS]
    unknown = sorted(set(chosen) - set(available))
    if unknown:
        print(
            f"Unknown benchmark(s): {', '.join(unknown)}. Available: {', '.join(available)}", file=sys.stderr
        )
        return 2
    failed = []
    for name in chosen:
        print(f"\n=== bench.{name} ===", flush=True)
        if subprocess.run([sys.executable, "-m", f"bench.{name}", *options], cwd=HERE.parent).returncode:
            failed.append(name)
    if failed:
        print(f"\nFailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
