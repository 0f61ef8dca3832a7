"""This project's root conftest: samhandling's fixtures and conformance checks for the tests."""

pytest_plugins = ["samhandling.testing"]
