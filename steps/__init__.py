"""Step definitions: thin glue between Gherkin and fixtures/provisioning (never boto3)."""
