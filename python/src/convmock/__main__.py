"""`python -m convmock ARGS`: runs the executable installed with the package, with ARGS."""

import os
import subprocess
import sys

from ._binary import find_binary
from ._errors import BinaryNotFound


def main() -> None:
    try:
        binary = find_binary()
    except BinaryNotFound as e:
        # The executable's own convention for a start-up failure.
        print(f"convmock: {e}", file=sys.stderr)
        sys.exit(2)
    args = [binary, *sys.argv[1:]]
    if sys.platform == "win32":
        sys.exit(subprocess.run(args).returncode)
    # Replaced by the server: its signals, exit status and output are the command's own.
    os.execv(binary, args)


if __name__ == "__main__":
    main()
