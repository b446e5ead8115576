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
TARGET_DATE_SLOT = "target_date"  # asked once after the interview when the push is strong but no deadline was read
INTRODUCTION_SLOT = "introduction"  # a greeting, introduction or question given where the struggle was asked
SKIPPED_SLOT = "skipped_slots"  # interview slots the visitor answered with "don't know"/"skip"
# A handoff the visitor asked for: remembered while the bot offers to take an email first (once).
PERSON_REQUESTED_SLOT = "person_requested"
EMAIL_OFFERED_SLOT = "email_offered"
# The handoff came before the interview was over: when a salesperson hands back, the bot asks the open question.
INTERVIEW_INTERRUPTED_SLOT = "interview_interrupted"
CONTACT_REOPENED_SLOT = "contact_reopened"  # a visitor who declined contact said yes later: ask the details
NEEDS_EMAIL_SLOT = "needs_email"  # true between that offer and the handoff: the rules open handoff_form
# Unsure whether a visitor is an existing customer ("the login keeps timing out"): asked once, first in the interview.
CUSTOMER_UNSURE_SLOT = "customer_unsure"
IS_CUSTOMER_SLOT = "is_customer"
# The story played back to a qualified visitor before the contact question (bot/conversation/playback.py): the
# lines played back, whether the visitor said it was wrong (asked once what), and what they did, for the brief.
PLAYBACK_SUMMARY_SLOT = "playback_summary"
PLAYBACK_WRONG_SLOT = "playback_wrong"
PLAYBACK_SLOT = "playback"
STAGES = ("first_thought", "passive_looking", "active_looking", "deciding")  # the buying timeline, in order
# The qualification checks (qualify.assess), all of which a qualified visitor meets: stored with each brief and
# lead, and weighed against won and lost deals (bot/sales/outcomes.py).
CHECKS = {
    "struggle_described": "described a concrete struggle",
    "active_stage": "actively looking or deciding",
    "forces_favour_change": "push + pull outweigh anxiety + habit",
    "change_needed": "doing nothing is not fine with them",
}
# A call booked in the chat after a qualified handoff (bot/sales/booking.py): the brief it is for, the times
# offered (label and UTC start), and the visitor's reply to the offer.
BOOKING_BRIEF_SLOT = "booking_brief"
BOOKING_OFFER_SLOT = "booking_offer"
MEETING_SLOT = "meeting_start"
