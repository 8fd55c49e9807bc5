#!/usr/bin/env python3
"""Write a random SECRET_KEY to a file once (mode 0600); leave an existing one alone.

`make` runs it for var/secret_key before anything loads the settings, which read that file
when neither SECRET_KEY nor SECRET_KEY_FILE is set (pledgeloop/lib/secret_key.py). Keeping
the key across runs keeps everyone signed in across restarts of `make run`.

    scripts/make-secret-key.py var/secret_key
"""

import os
import secrets
import sys
from pathlib import Path


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    path = Path(sys.argv[1])
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: never overwrite a key, even when two makes race; 0600: only the app reads it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return 0
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(secrets.token_urlsafe(50) + "\n")
    print(f"make-secret-key: wrote a new random key to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
