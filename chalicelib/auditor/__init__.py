"""The serverless auditor's use cases: what an event or a re-scan re-checks, remembers and notifies."""
