"""The inventory layer: fills the IAM entities of `chalicelib.iam.entities` from snapshot files or live accounts."""
