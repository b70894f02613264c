"""Real AWS: SageMaker job history, live prices, paired compiler on/off jobs.

boto3 is imported only by these commands, never by ``fitcheck analyze``.
"""
