"""Local-only tooling: the gateway, simulators and seed data. Never deployed."""
