"""PARDISO tests must not skip silently where pypardiso is meant to be installed: the
``pardiso`` fixture (tests/solvers/conftest.py) that every PARDISO test requests fails in CI on
x86-64 and skips elsewhere."""

import platform

import pytest

import mblkit.solvers.pardiso as pardiso_module


def test_pardiso_fixture_fails_in_ci_on_x86_64_without_pypardiso(request, monkeypatch):
    monkeypatch.setattr(pardiso_module, "pardiso_available", lambda: False)
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    with pytest.raises(pytest.fail.Exception, match="CI on x86-64"):
        request.getfixturevalue("pardiso")


def test_pardiso_fixture_skips_outside_ci_or_on_other_platforms(request, monkeypatch):
    monkeypatch.setattr(pardiso_module, "pardiso_available", lambda: False)
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(platform, "machine", lambda: "aarch64")
    with pytest.raises(pytest.skip.Exception, match="aarch64"):
        request.getfixturevalue("pardiso")


def test_pardiso_fixture_passes_with_pypardiso(request, monkeypatch):
    monkeypatch.setattr(pardiso_module, "pardiso_available", lambda: True)
    monkeypatch.setenv("CI", "true")
    assert request.getfixturevalue("pardiso") is None
