"""The pure IAM core: ARNs, policy documents, principals, actions, conditions and the AssumeRole decision.

Nothing in this package talks to AWS or imports boto3, botocore, chalice or aws_lambda_powertools; a test
walks the imports to keep it that way.
"""
