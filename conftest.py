"""Test-suite wide setup: samhandling's own pytest plugin gives every test its fixtures."""

pytest_plugins = ["samhandling.testing"]
