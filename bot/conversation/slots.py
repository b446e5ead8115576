"""The conversation's slot names (part of the product's interface: tests, brief API, trainers' docs)."""

INTERVIEW_SLOTS = (
    "struggle",
    "situation",
    "current_solution",
    "desired_progress",
    "trigger",
    "timeline",
    "anxieties",
    "cost_of_inaction",
)
SKIPPED_SLOT = "skipped_slots"  # interview slots the visitor answered with "don't know"/"skip"
