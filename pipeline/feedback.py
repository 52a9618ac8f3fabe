"""A member's click on an answer's feedback buttons, whichever way it arrived (the HTTP
endpoint or the gateway): 👍/👎 recorded once per member per answer, and a 👎 from the
member whose conversation it is offers a person where escalation is on; asking for one
escalates the conversation like any other request for a person.

Sync (database); the channel's adapter has already checked that the click came from the
bot its server is connected to, and builds the channel's response from the result."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.escalation import Reason
from conversations import actions as conversation_actions
from conversations.feedback import answer_to, rate_answer
from conversations.tasks import send_escalation_email
from pipeline.converse import escalation_address

THANKS = "Thanks for the feedback!"
THANKS_DOWN = "Thanks for the feedback: it helps the team improve the answers."
OFFER = "Sorry that didn't help. Want a person from the team to look at it?"
UNKNOWN = "That answer can't be rated any more."
PERSON_COMING = "A member of the team has been notified and will reply here."
NOT_YOURS = "Only the member who asked can call the team in for this question."


@dataclass(frozen=True, slots=True)
class ClickResult:
    text: str
    # Offer the "Want a person?" button for this question.
    offer_person: bool = False
    recorded: bool = False


def rate(workspace_id: int, place_id: str, question_id: int, member_id: str, *, helpful: bool) -> ClickResult:
    rated = rate_answer(workspace_id, place_id, question_id, member_id, helpful=helpful)
    if rated is None:
        return ClickResult(UNKNOWN)
    if helpful:
        return ClickResult(THANKS, recorded=True)
    offer = rated.conversation_member_id == member_id and _escalation_on(workspace_id)
    return ClickResult(OFFER if offer else THANKS_DOWN, offer_person=offer, recorded=True)


def ask_for_person(workspace_id: int, place_id: str, question_id: int, member_id: str) -> ClickResult:
    """The member asked for a person after a 👎: flag the conversation and email the team
    (at most every 30 minutes per conversation, as for any escalation)."""
    answer = answer_to(workspace_id, place_id, question_id)
    if answer is None:
        return ClickResult(UNKNOWN)
    if answer.conversation.member_id != member_id:
        return ClickResult(NOT_YOURS)
    if not _escalation_on(workspace_id):
        return ClickResult(THANKS_DOWN)
    if conversation_actions.escalate(answer.conversation_id):
        send_escalation_email(answer.conversation_id, str(Reason.FEEDBACK))
    return ClickResult(PERSON_COMING, recorded=True)


def _escalation_on(workspace_id: int) -> bool:
    return bool(escalation_address(workspace_id))
