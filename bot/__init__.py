"""Demand-side sales assistant: interview logic, qualification, briefs, storage and web app."""
