"""Training pipeline of the Mirage triage pixel model (see training/README.md)."""
