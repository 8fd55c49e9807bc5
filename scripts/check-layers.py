"""Every app of pledgeloop sits in the layer contract (pyproject.toml), exactly once.

import-linter checks the imports between the layers it is given; an app left out of the list
would be held to nothing. Run by `make lint` beside lint-imports.
"""

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = [
        layer
        for contract in contracts
        if contract["type"] == "layers"
        for layer in contract["layers"]
    ]
    apps = sorted(
        f"pledgeloop.{path.parent.name}"
        for path in (ROOT / "pledgeloop").glob("*/__init__.py")
        if path.parent.name not in {"templates", "static", "locale", "tests"}
    )
    missing = [app for app in apps if app not in layers]
    twice = sorted({layer for layer in layers if layers.count(layer) > 1})
    for app in missing:
        print(f"check-layers: {app} is not in the layer contract (pyproject.toml)")
    for layer in twice:
        print(f"check-layers: {layer} is listed more than once in the layer contract")
    if missing or twice:
        return 1
    print(f"check-layers: {len(apps)} apps, each in one layer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
