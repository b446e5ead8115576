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
CONTACT_SLOTS = ("name", "email", "company")  # asked only after the visitor agreed to be contacted
SKIPPED_SLOT = "skipped_slots"  # interview slots the visitor answered with "don't know"/"skip"
