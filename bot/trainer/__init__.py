"""Trainer tools: training with a test-story gate, evaluation, review of misunderstood messages, story export."""
