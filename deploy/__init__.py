"""Packaging and deployment of the Trustwatch Lambda app (see docs/deployment.md)."""
