"""The interview's slots and how visitor answers map onto them (see shared/design/conversation.md)."""
from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Dict, List, Optional

from bot.conversation import deadlines, nlp
from bot.conversation.contact import normalise_email
from bot.conversation.slots import CONTACT_SLOTS, INTERVIEW_SLOTS, SKIPPED_SLOT, TARGET_DATE_SLOT

# How a message is read while a question is open ("Robustness" in shared/design/conversation.md): the open
# question's answer wins unless the message is clearly something else.
ANSWER = "answer"  # store it as the answer
ANSWER_AND_REPLY = "answer and reply"  # store it, and answer the question it also asks
NOT_AN_ANSWER = "not an answer"  # a person, leaving, a support problem or a question: its own rule replies
NOTED = "noted"  # a greeting, an introduction or a question where the struggle was asked: kept, not the answer
SKIP_AND_REPLY = "skip and reply"  # a second question in a row: answer it, and skip the bot's question

QUESTION_INTENTS = frozenset({
    "ask_pricing", "ask_free_trial", "ask_integrations", "ask_security", "ask_onboarding",
    "ask_support", "ask_demo", "ask_why", "ask_is_bot",
})
PRODUCT_QUESTION_INTENTS = QUESTION_INTENTS - {"ask_why", "ask_is_bot"}
QUESTION_OPENERS = frozenset({
    "how", "what", "what's", "whats", "which", "when", "where", "why", "who", "do", "does", "did",
    "is", "are", "can", "could", "would", "will", "should", "may", "any", "tell", "show", "explain",
    "pricing", "price", "cost", "demo", "trial",
})
NAME_SLOTS = ("name", "company")  # whatever the visitor typed: "Human Partners", "Stop & Shop Deli"
NAME_CONNECTORS = frozenset({"&", "and", "of", "the", "de", "da", "del", "van", "von", "der", "den", "la", "le", "-"})
LONE_WORD_REQUESTS = frozenset({"stop", "human", "person", "agent", "quit", "bye", "goodbye", "help"})
# Said by existing customers: they say they are one, or name our product's account, login, billing or seats;
# {product} stands for the product's name (product.yml). A login or a bill alone may be their own tool's.
CUSTOMER_SIGNS = (
    r"\b(?:(?:already|existing|current|paying) (?:a |an )?(?:{product} )?(?:customer|client|user|subscriber)s?"
    r"|(?:we|i)(?:'re|'m| are| am) (?:a |an )?(?:{product} )?(?:customer|client|user|subscriber)s?(?! of (?!yours))"
    r"|(?:we|i) (?:already |currently |still )?(?:use|pay for|have|subscribe to|signed up (?:for|to)) {product}"
    r"|{product} (?:account|login|log-in|password|billing|bill|invoice|charge|subscription|seats?|plan|licen[cs]es?)"
    r"|(?:add|remove|buy) (?:\w+ )?(?:more |extra |additional )?seats? (?:to|on|from) (?:our|my) "
    r"(?:{product} )?(?:account|plan)"
    r"|(?:your|the {product}) (?:invoice|bill)|you(?:'ve)? charged (?:us|me))\b")
# A support problem that may be with our product or with their own tool: asked once whether they are a customer.
# Their own invoices and billing are a prospect's struggle ("our invoices are always late", "we billed a client
# twice and had to refund them"), so only being billed or charged, or wanting a refund, is among them.
SUPPORT_SIGNS = re.compile(r"\b(?:log ?in|logins?|sign ?in|password|(?:my|our) account|subscription|seats?|"
                           r"(?:(?:was|were|got|get|been|being|keep getting) (?:double[- ]?)?(?:billed|charged)"
                           r"|(?:billed|charged|overcharged|refund) (?:us|me)|(?:my|our) (?:bill|card)\b"
                           r"|(?:want|need|get|request|asking for|ask for) (?:a |my |our )?refund)|licen[cs]es?)\b",
                           re.IGNORECASE)
# Who a visitor may ask to talk to.
SOMEONE = (r"human|person|people|someone|somebody|anyone|anybody|representative|reps?|operator|account exec\w*|"
           r"colleague|sales\w*|founder")
# A request for a person says so: "Viewing feedback never gets back to the sellers" read as one is an answer.
PERSON_WORDS = re.compile(rf"\b(?:{SOMEONE}|call ?back|call me|reach out|get in touch|"
                          r"(?:talk|speak|chat)(?:ing)? (?:to|with)|(?:an?|live|real|actual|to) agent|^agent)\b",
                          re.IGNORECASE)
# A wish to stop says so, to the bot: "before Black Friday", "our accountant quit", "clients cancel last minute",
# "not enough staff" or "no more spreadsheets" read as `stop` are answers. "Stop", "quit" or "cancel" is a wish
# to stop when it is the whole message (give or take "please", "ok", "this", "now") or is said to the chat.
STOP_WORDS = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|please|pls|just|can we|can you|let'?s|i want to|i'd like to|i wanna)\W+)*"
    r"(?:stop|quit|cancel|end|enough|exit)(?:\W+(?:it|this|that|now|here|please|pls|already|thanks|thank you))*\W*$"
    r"|\b(?:stop|quit) (?:asking|messaging|texting|the (?:bot|chat|questions)|this (?:chat|conversation)|talking"
    r"|bugging)|\b(?:bye|goodbye|good bye|cya|see ya|not interested|leave me alone|that'?s (?:all|enough)"
    r"|no more questions|enough (?:questions|already)|end (?:this|the) (?:chat|conversation)|unsubscribe"
    r"|go away|forget it|i'?m done|gotta go|got to go|have to go|i'?ll pass)\b", re.IGNORECASE)
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
GREETING = re.compile(r"^(?:hi|hello|hey|hiya|howdy|greetings|hallo|bonjour|guten tag|hola|ciao|salut|hej|moin|g'day|"
                      r"(?:good )?(?:morning|afternoon|evening|day))\b[^.!?…]*?(?:[.!?…,]+\s*|$)", re.IGNORECASE)
# "I'm the practice manager at…", "We're a 12-person studio", "This is Anna from…" (a name is capitalised).
INTRODUCTION = re.compile(r"^(?i:i'?m|i am|we'?re|we are|this is|my name is|here is|i work|i run|i lead|i manage|"
                          r"i look after|i oversee|i coordinate|i handle)\s+(?:(?i:a|an|the|at|for|in) |[A-Z0-9])"
                          # how they found us: "Found you through a LinkedIn post", "A friend recommended you"
                          r"|^(?i:(?:i |we )?(?:found|saw|came across|heard (?:about|of)|read about|was sent to) "
                          r"(?:you|this)|(?:a |my |our )?(?:friend|colleague|partner) (?:recommended|mentioned|told))")
# Said in passing before getting to the point.
SMALL_TALK = re.compile(r"\b(?:sorry (?:for|about) (?:the )?(?:late|delay\w*|bother\w*)"
                        r"(?: (?:message|reply|hour|night))?"
                        r"|(?:a )?bit late(?:, I know)?|happy (?:monday|tuesday|wednesday|thursday|friday|weekend"
                        r"|new year|holidays)|hope (?:you(?:'re| are) well|all is well)|quick question"
                        r"|just (?:browsing|looking|curious))\b", re.IGNORECASE)
PROBLEM_WORDS = re.compile(
    r"\b(?:problem|issue|struggl|can'?t|cannot|hard|slow|late|manual|mess|keep|always|never|los[et]|losing|"
    r"broken|fail|pain|waste|stuck|too (?:much|many|long)|tak(?:es?|ing) (?:\w+ )?(?:days|weeks|hours|months|forever)|"
    r"drown|chaos|errors?|mistakes?|behind|overwhelm|complain|need help|spreadsheet|nightmare|frustrat|annoy|"
    r"tired of|sick of|headache|disaster|wrong|miss(?:ed|ing)?|double[ -]?book|lost|bounce)", re.IGNORECASE)


MARKUP = re.compile(r"<[^<>]{1,200}>")


def without_markup(text: str) -> str:
    """The words of a message without HTML tags ("<b>Bold</b> Coffee" reads "Bold Coffee"); a message that is only
    markup keeps its text, so there is always something to read."""
    plain = " ".join(MARKUP.sub(" ", text).split())
    return plain or text


def asks_question(text: str) -> bool:
    """Ends with a question mark, or starts with a question's first word ("how much for 10 users"); a question
    quoted inside a sentence ("clients email us 'hello??' because…") is not the visitor's."""
    words = text.strip().lower().split()
    return text.rstrip(" '\"’”)").endswith("?") or (bool(words) and words[0].strip(",.!") in QUESTION_OPENERS)


def states_something(text: str) -> bool:
    """Whether a message that asks also says something: a sentence that is not a question."""
    return any(part.strip(" .!…") and not asks_question(part) for part in SENTENCE_END.split(text.strip()))


def describes_a_problem(text: str, min_words: int = 8) -> bool:
    """Whether a message tells something beyond a greeting, small talk, an introduction ("I'm the practice
    manager at a law firm") or a question: only such a message is the visitor's struggle. Fewer than
    `min_words` words ("Hi, small software house") are an introduction unless they name a problem; asked what
    brought them here, people answer in fewer words than they open with."""
    for sentence in SENTENCE_END.split(text.strip()):
        said = SMALL_TALK.sub(" ", GREETING.sub("", sentence.strip(), count=1)).strip(" ,.!…-")
        problem = PROBLEM_WORDS.search(said)
        if len(said.split()) < 2 or (asks_question(said) and not problem):
            continue
        if INTRODUCTION.match(said) and not problem:
            continue
        if problem or len(said.split()) >= min_words:
            return True
    return False


def looks_like_a_name(text: str) -> bool:
    """A person's or a company's name as people type it: a few capitalised words, no question."""
    words = text.strip().split()
    if not 1 <= len(words) <= 6 or "?" in text:
        return False
    if len(words) == 1:
        return words[0][:1].isupper() and words[0].lower().strip(".!") not in LONE_WORD_REQUESTS
    return all(word[:1].isupper() or word.lower() in NAME_CONNECTORS for word in words)


def may_be_a_customer(text: str, intent: Optional[str], product_name: str) -> bool:
    """NLU read a support problem that does not name our product: a customer or a prospect? (ask once)"""
    return intent == "existing_customer" and not says_existing_customer(text, product_name) \
        and bool(SUPPORT_SIGNS.search(text))


def asks_for_a_person(text: str, intent: Optional[str]) -> bool:
    """NLU read a request for a person, and the message says so (a name like "Human Partners" is not one)."""
    return intent == "request_human" and bool(PERSON_WORDS.search(text)) and not looks_like_a_name(text)


# Asking for someone to talk to: a person ("someone", "a real person", "sales") and a way to talk ("call me").
PERSON_NOUNS = re.compile(rf"\b(?:{SOMEONE}|agent)\b", re.IGNORECASE)
TALKING = re.compile(r"\b(?:call|phone|ring|talk|speak|chat|get in touch|reach|contact|connect|put me through|"
                     r"transfer|hand me)\b", re.IGNORECASE)


# A request to be contacted or handed over, whatever NLU read it as: said to us ("just have someone call me",
# "put me in touch w/ your team", "pass me to sales"), not about others ("customers call me all day").
CONTACT_ME = re.compile(
    r"(?:^|[.!?,;:]\s*|\b(?:please|pls|plz|just|i said|can you|could you|can someone|could someone|have someone|"
    r"get someone|someone|somebody|rather|instead)\s+)(?:call|ring|phone|e-?mail|text|contact) me\b"
    r"|\b(?:drop me a (?:line|mail|note|email)|(?:put|get) me in touch|put me through|pass me (?:on )?to|transfer me"
    r"|hand me (?:over )?to|call me back|(?:i'?d like|i want|can i (?:get|have)|could i (?:get|have)|please|pls) a "
    r"call ?back|(?:a |the )?(?:phone )?number (?:i|we) can call)\b"
    r"|\b(?:i|let me|can i|could i|i'?d like to|i want to|i wanna|i need to|i'?d rather)\s+(?:talk|speak|chat)\s+"
    r"(?:to|with)\s+(?:a |an |your |the |some )?(?:real |actual )?(?:human|person|sales|someone|somebody|team|"
    r"reps?|agent|people)\b", re.IGNORECASE)
# In a short first message, asking for a person needs no verb: "hi there, sales team please", "hii, human?".
PERSON_ALONE = re.compile(r"\b(?:humans?|real person|an? (?:actual )?person)\b|\b(?:sales(?: team)?|salesperson|"
                          r"rep|agent|operator)\s*(?:please|pls|plz|\?)", re.IGNORECASE)


def asks_to_be_contacted(text: str) -> bool:
    """The visitor asks to be called, written to or put through to a person (CONTACT_ME)."""
    return bool(CONTACT_ME.search(text or ""))


WANTS_A_PERSON = re.compile(r"\b(?:want|like|need|wanna) to (?:talk|speak|chat) (?:to|with) (?:someone|somebody|sales|"
                            r"a (?:real )?person|a human|your team|an account manager)\b", re.IGNORECASE)


def customer_asks_for_a_person(text: str) -> bool:
    """An existing customer who asks for a person ("we use Acme Flow and want to talk to someone about
    upgrading") is handed over, not sent to support: a person was asked for, and it may be a bigger deal."""
    return asks_to_be_contacted(text) or bool(WANTS_A_PERSON.search(text or ""))


def opens_asking_for_a_person(text: str, intent: Optional[str]) -> bool:
    """A first message NLU read as a greeting, "are you a bot?" or nothing that asks for a person to talk to:
    "hi, can a real person call me instead", "hi there, sales team please". A product question or a struggle
    that mentions people is not one."""
    if intent in PRODUCT_QUESTION_INTENTS or describes_a_problem(text) or looks_like_a_name(text):
        return False
    short = len(GREETING.sub("", text.strip(), count=1).split()) <= 5
    return asks_to_be_contacted(text) or bool(PERSON_NOUNS.search(text) and TALKING.search(text)) \
        or (short and bool(PERSON_ALONE.search(text)))


def says_stop(text: str, intent: Optional[str]) -> bool:
    """NLU read a wish to stop, and the message says so ("Evening, sorry for the late message" does not)."""
    return intent == "stop" and bool(STOP_WORDS.search(text))


def says_existing_customer(text: str, product_name: str) -> bool:
    """They say they are a customer, or talk about our product's account, login, billing or seats;
    someone unhappy with their current tool is a prospect."""
    return bool(_customer_signs(product_name).search(text))


@functools.lru_cache(maxsize=None)
def _customer_signs(product_name: str) -> re.Pattern:
    return re.compile(CUSTOMER_SIGNS.replace("{product}", re.escape(product_name.lower())), re.IGNORECASE)


def read_reply(slot: str, text: str, intent: str, times_asked: int, product_name: str) -> str:
    """ANSWER, ANSWER_AND_REPLY, SKIP_AND_REPLY, NOTED or NOT_AN_ANSWER for a message while `slot`'s question
    is open.

    A request for a person or to stop is always honoured (a name that happens to be such a word is a
    name), so is a real support problem; a question phrased as a question is answered before the bot
    asks again, but only once in a row: after one re-ask the message is the answer, or, if it is only
    another question, that question is answered and the bot's is skipped.
    """
    if not text.strip():
        return NOT_AN_ANSWER
    if (slot in NAME_SLOTS and looks_like_a_name(text)) or (slot == "contact_consent" and intent == "request_human"):
        return ANSWER  # a name is a name; asked about contact, "speak to someone" is a yes
    if asks_for_a_person(text, intent) or says_stop(text, intent):
        return NOT_AN_ANSWER
    if intent == "existing_customer" and says_existing_customer(text, product_name):
        return NOT_AN_ANSWER
    if slot == "struggle" and times_asked < 2 and not describes_a_problem(text, min_words=4):
        return NOTED
    if intent in QUESTION_INTENTS and asks_question(text):
        # Asked what worries them, a product question is the worry ("is it secure with our SSO?").
        if states_something(text) or (slot == "anxieties" and intent in PRODUCT_QUESTION_INTENTS):
            return ANSWER_AND_REPLY
        return SKIP_AND_REPLY if times_asked >= 2 else NOT_AN_ANSWER
    if intent not in QUESTION_INTENTS and asked_about(text, intent) is not None:  # an answer, then a question
        return ANSWER_AND_REPLY
    return ANSWER


# The product question a sentence asks, for a message NLU read as an answer ("Within two months. Is there a
# nonprofit discount?"): the first topic whose words the question sentence has.
QUESTION_TOPICS = (
    ("ask_pricing", r"pric|cost|discount|how much|fee|per (?:user|seat|month)|cheap|expensive|budget|plans?\b"),
    ("ask_free_trial", r"trial|try it|for free"),
    ("ask_integrations", r"integrat|connect (?:to|with)|work with|sync|xero|quickbooks|slack|outlook|api\b"),
    ("ask_security", r"secur|gdpr|hosted|host (?:our|the)? ?data|encrypt|privacy|where is (?:our|the) data|\beu\b|"
                     r"europe"),
    ("ask_onboarding", r"onboard|set ?up|training|migrat|get started"),
    ("ask_demo", r"\bdemo|show me|walk ?through"),
    ("ask_support", r"support|help ?desk"),
)


def asked_about(text: str, intent: Optional[str]) -> Optional[str]:
    """The product question a message asks: NLU's when it read one, else the topic of a question sentence."""
    if intent in QUESTION_INTENTS:
        return intent
    for sentence in SENTENCE_END.split(text.strip()):
        if sentence.rstrip().endswith("?"):
            for topic, words in QUESTION_TOPICS:
                if re.search(words, sentence, re.IGNORECASE):
                    return topic
    return None


def answers(slots: Dict[str, object]) -> Dict[str, Optional[str]]:
    """Interview answers as typed, with skipped or unanswered questions as None."""
    skipped = set(slots.get(SKIPPED_SLOT) or [])
    result: Dict[str, Optional[str]] = {}
    for name in (*INTERVIEW_SLOTS, TARGET_DATE_SLOT):
        value = slots.get(name)
        result[name] = None if name in skipped or not isinstance(value, str) or not value.strip() else value
    return result


def _sentences_with(text: str, keep) -> Optional[str]:
    """The sentences of `text` that `keep` accepts, small talk aside ("happy Friday" names no deadline)."""
    chosen = [sentence for sentence in nlp.sentences(text) if keep(SMALL_TALK.sub(" ", sentence))]
    return " ".join(chosen) or None


def _states_deadline(sentence: str) -> bool:
    """A time still to come, as people write it ("before Christmas", "in a fortnight"), or "no rush"."""
    return deadlines.read(sentence, dt.date.today()).months is not None or "PASSIVE" in nlp.cues(sentence)


def read_opening(text: str) -> Dict[str, str]:
    """Slots an opening message already answers, quoted from it, so they are not asked again.

    A message that describes a problem is the struggle (a greeting, an introduction or a question alone
    is kept as the introduction); sentences that name a why-now event or a deadline also answer the
    trigger and the timeline.
    """
    filled = {"struggle": text} if describes_a_problem(text) else {"introduction": text}
    trigger = _sentences_with(text, lambda sentence: "TRIGGER" in nlp.cues(sentence))
    timeline = _sentences_with(text, _states_deadline)
    if trigger:
        filled["trigger"] = trigger
    if timeline:
        filled["timeline"] = timeline
    return filled


DONT_KNOW_WORDS = re.compile(
    r"\b(?:(?:don'?t|do not) (?:really )?know|dunno|no (?:idea|clue)|not (?:really )?sure|unsure|idk|"
    r"can'?t say|hard to say|skip|pass|rather not|prefer not|no comment|not certain|beats me|who knows|n/?a|"
    r"not a clue|haven'?t (?:really )?(?:thought|decided)|no answer|nothing to say|next question)\b", re.IGNORECASE)


def says_dont_know(slot: str, text: str, intent: Optional[str]) -> bool:
    """The visitor does not know (the question is skipped): NLU says so and a few words do ("no idea, sorry"),
    unless they name a time where one was asked ("the week after next" read as `dont_know` is a deadline)."""
    if intent != "dont_know" or not DONT_KNOW_WORDS.search(text) or len(text.split()) > 8:
        return False  # "Housekeeping doesn't know which rooms are free" is a struggle
    return slot not in ("timeline", TARGET_DATE_SLOT) or deadlines.read(text, dt.date.today()).months is None


def record_answer(slot: str, value: object, intent: Optional[str], skipped: Optional[list]) -> Dict[str, object]:
    """Slot events for an answer: kept verbatim; "I don't know"/"skip" marks the question skipped."""
    skipped = list(skipped or [])
    if intent == "dont_know" and slot not in skipped:
        skipped.append(slot)
    elif intent != "dont_know" and slot in skipped:
        skipped.remove(slot)
    return {slot: value, SKIPPED_SLOT: skipped}


CONSENT_WORDS = re.compile(
    r"\b(?P<yes>yes|yeah|yep|yup|ya|yah|yea|yas|ye|sure|ok|okay|k|kk|alright|fine|please do|absolutely|definitely"
    r"|of course|go ahead|go on|why not"
    r"|sounds good|happy to|i'd like that|contact me|call me|email me|reach out|please e-?mail"
    r"|e-?mail (?:is )?(?:fine|ok|okay|good|best|works)|e-?mail only"
    r"|(?:would|i'?d) love (?:that|to|it)|love to|that'?d be (?:great|good|nice|helpful)|sounds great"
    r"|(?<!n't )(?<!not )(?:do |please )?send (?:me|us|them|it|those|the guides?))\b"
    r"|\b(?P<no>(?:don't|do not|never) (?:contact|call|e-?mail|reach) me|no|nope|nah|not now|not yet|no thanks"
    r"|rather not|not interested|don't|do not|see ya)\b"
    r"|\b(?P<please>pls|plz|please)(?: do)?\b",  # a yes when nothing else is said ("pls do!!")
    re.IGNORECASE)


# How they want to be reached, not whether: "yes but email only, no calls" is a yes.
ONLY_SOME_WAYS = re.compile(r"\b(?:no|not by|not on the|don'?t|do not|never|pls don'?t|please don'?t)\s+"
                            r"(?:(?:phone|cold|sales)\s+)?(?:calls?|call(?:ing)? me|phon(?:e|ing)(?: me)?|ring(?:ing)?"
                            r"(?: me)?|texts?|sms|whatsapp|spam|meetings?)\b", re.IGNORECASE)


def consent_from(text: str, intent: Optional[str]) -> Optional[bool]:
    """Yes or no to being contacted, read generously: the last yes or no the visitor wrote wins ("no
    thanks… actually, wait, yes"), asking to speak to someone is a yes, a way they do not want to be reached
    beside a yes is no no ("yes, email only, no calls"); None when neither was said."""
    if intent == "request_human":
        return True
    # An address is no answer: "ola@bergcare.no" says no "no".
    text = " ".join(word for word in (text or "").split() if "@" not in word)
    unrestricted = ONLY_SOME_WAYS.sub(" ", text)
    if any(match.lastgroup == "yes" for match in CONSENT_WORDS.finditer(unrestricted)):
        text = unrestricted
    said = [match.lastgroup for match in CONSENT_WORDS.finditer(text)]
    said = [word for word in said if word != "please"] or said
    if said:
        return said[-1] in ("yes", "please")
    return {"affirm": True, "deny": False}.get(intent or "")


def email(slots: Dict[str, object]) -> Optional[str]:
    """The visitor's email, if they gave a valid one and agreed to be contacted."""
    return (contact(slots) or {}).get("email")


# Words that answer "can we get in touch?" without being a name, though capitalised like one ("Maybe later").
NOT_NAMES = frozenset({"maybe", "perhaps", "later", "possibly", "depends", "hmm", "hm", "um", "unsure", "dunno",
                       "whatever", "what", "why", "who", "nothing", "none", "nobody", "pass", "skip", "thanks",
                       "thank", "cheers", "hello", "hi", "hey", "nah", "nope", "no", "not", "never", "idk"})


def details_given(text: str, asked_again: bool) -> Dict[str, str]:
    """Contact details typed where a yes or no to being contacted was asked: giving them is a yes. An email
    address always counts; a name ("Bo", "Bo Lindqvist") once the question was asked again."""
    address = normalise_email(text) if "@" in text else None
    if address:
        return {"email": address}
    words = {word.lower().strip(".,!?…") for word in text.split()}
    if asked_again and looks_like_a_name(text) and not words & NOT_NAMES and not CONSENT_WORDS.search(text):
        return {"name": text.strip()}
    return {}


DETAIL_SEPARATORS = re.compile(r"\s*(?:[,;|/\n]|\s[-–—]\s)\s*")
DETAIL_LABELS = re.compile(r"^(?:(?:my )?(?:full )?name(?: is|:)?|i'?m|i am|this is|it'?s|e-?mail(?: is|:)?|"
                           r"company(?: is|:)?|(?:and )?(?:i work )?(?:at|for|from|with))\s+", re.IGNORECASE)


def details_in_one_message(text: str) -> Dict[str, str]:
    """Name, email and company typed together where one of them was asked ("Maria Gonzalez, maria@bright.com,
    Bright Dental"): the email, and of the other parts the first as the name and the next as the company, each
    only if it reads as one; {} unless there is an email and something besides it."""
    parts = [part for part in DETAIL_SEPARATORS.split(text or "") if part]
    address = normalise_email(text) if "@" in text else None
    if address is None or len(parts) < 2:
        return {}
    found = {"email": address}
    others = [DETAIL_LABELS.sub("", part).strip(" .!") for part in parts if "@" not in part]
    others = [part for part in others if part and looks_like_a_name(part) and not CONSENT_WORDS.search(part)
              and part.lower() not in NOT_NAMES and not GREETING.match(part) and not SMALL_TALK.search(part)]
    for slot, part in zip(("name", "company"), others):
        found[slot] = part
    return found if len(found) > 1 else {}


ASKS_TO_BE_CONTACTED = re.compile(r"\b(?:contact|call|e-?mail|reach|get in touch|changed my mind|follow up|send"
                                  r"|on second thought|second thoughts)\b",
                                  re.IGNORECASE)


def changes_mind_about_contact(text: str, intent: Optional[str]) -> bool:
    """After declining, a later "actually I changed my mind, contact me", or an email address typed (a plain
    "ok" is not enough)."""
    return bool(ASKS_TO_BE_CONTACTED.search(text or "")) and consent_from(text, intent) is True \
        or "email" in details_given(text or "", asked_again=False)


def contact(slots: Dict[str, object]) -> Optional[Dict[str, Optional[str]]]:
    """Name, email and company, only when the visitor agreed to be contacted."""
    if slots.get("contact_consent") is not True:
        return None
    skipped = set(slots.get(SKIPPED_SLOT) or [])
    return {name: (None if name in skipped else slots.get(name)) for name in CONTACT_SLOTS}


ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "last": -1}
CLOCK_TIME = re.compile(r"\b(\d{1,2})[:.h](\d{2})\b|\b(\d{1,2})\s*(am|pm)\b", re.IGNORECASE)


def picked(text: str, offered: List[str]) -> Optional[int]:
    """Which of the offered times (labels such as "Tue 1 Dec, 10:00") the visitor chose: the label itself (a
    quick reply), "the first one", or a day or clock time that only one of them has; None for anything else
    ("another time", "none of those")."""
    said = " ".join((text or "").lower().split())
    labels = [" ".join(label.lower().split()) for label in offered]
    for index, label in enumerate(labels):
        if label and label in said:
            return index
    if not labels or re.search(r"\b(?:no|not|none|neither|nor|can'?t|cannot|don'?t|won'?t)\b", said):
        return None  # "none of those", "not the first one"
    for word, index in ORDINALS.items():
        if re.search(rf"\b{word}\b", said) and len(said.split()) <= 6:
            return index % len(labels)
    clock = CLOCK_TIME.search(said)
    if clock:
        hour, minute = (int(clock[1]), int(clock[2])) if clock[1] else (int(clock[3]) % 12 + 12 * (
            clock[4].lower() == "pm"), 0)
        matching = [i for i, label in enumerate(labels) if label.endswith(f"{hour:02d}:{minute:02d}")]
        return matching[0] if len(matching) == 1 else None
    days = [i for i, label in enumerate(labels) if re.search(rf"\b{label[:3]}", said)]
    return days[0] if len(days) == 1 else None
