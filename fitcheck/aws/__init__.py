"""Real AWS: SageMaker job history, live prices, paired compiler on/off jobs (boto3, imported only by these commands)."""
