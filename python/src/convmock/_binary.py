"""Finding the `convmock` executable: `CONVMOCK_BIN`, then where pip put it, then PATH."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig

from ._errors import BinaryNotFound

ENV_VAR = "CONVMOCK_BIN"
EXE = "convmock" + (sysconfig.get_config_var("EXE") or "")


def _user_scheme() -> str:
    if sys.version_info >= (3, 10):
        return sysconfig.get_preferred_scheme("user")
    if os.name == "nt":
        return "nt_user"
    if sys.platform == "darwin" and getattr(sys, "_framework", None):
        return "osx_framework_user"
    return "posix_user"


def _scripts_dirs() -> list[str]:
    """The environment's scripts folder, then the user scheme's (`pip install --user`).

    The environment's comes first: `python -m pytest` from a venv that is not activated does
    not have it on PATH, and a `convmock` on PATH may be another version.
    """
    dirs = [sysconfig.get_path("scripts")]
    try:
        dirs.append(sysconfig.get_path("scripts", scheme=_user_scheme()))
    except KeyError:  # a Python built without a user scheme
        pass
    return [d for i, d in enumerate(dirs) if d and d not in dirs[:i]]


def find_binary() -> str:
    """The path of the `convmock` executable to run.

    `CONVMOCK_BIN` when set (it must exist); else the one pip installed with this package
    (the environment's scripts folder, then the user scheme's); else the first on PATH.
    Raises `BinaryNotFound` naming every place looked at.
    """
    chosen = os.environ.get(ENV_VAR)
    if chosen:
        if os.path.isfile(chosen):
            return chosen
        raise BinaryNotFound(
            f"{ENV_VAR} is set to {chosen!r}, which is not a file: point it at a convmock "
            f"executable, or unset it to use the one installed with the package"
        )
    looked = []
    for folder in _scripts_dirs():
        path = os.path.join(folder, EXE)
        if os.path.isfile(path):
            return path
        looked.append(path)
    found = shutil.which("convmock")
    if found:
        return found
    search_path = os.environ.get("PATH", "")
    looked.append(f"every folder on PATH ({search_path or 'PATH is empty'})")
    raise BinaryNotFound(
        "the convmock executable was not found; looked at: "
        + "; ".join(looked)
        + f". Install it with `pip install convmock` into this environment ({sys.prefix}), "
        + f"or set {ENV_VAR} to its path"
    )
