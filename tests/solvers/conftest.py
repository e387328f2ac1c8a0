"""The ``pardiso`` fixture: skip without pypardiso, but fail in CI on x86-64, where the dev
extra installs it (so the PARDISO tests cannot all turn into skips unnoticed)."""

import os
import platform

import pytest

import mblkit.solvers.pardiso as pardiso_module


@pytest.fixture
def pardiso() -> None:
    if pardiso_module.pardiso_available():
        return
    if (os.environ.get("CI", "").lower() == "true"
            and platform.machine().lower() in ("x86_64", "amd64")):
        pytest.fail("CI on x86-64 but pypardiso is not importable: install the dev extra "
                    "(pip install -e '.[dev]'); the PARDISO tests would all be skipped")
    pytest.skip(f"pypardiso not importable on {platform.machine()} (outside CI)")
