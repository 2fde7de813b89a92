"""Who may serve a data-subject request (AVG art. 15, the Wgs contactpunt): find a person, read who accessed
their data, export everything held on them.

The `auditor` role, and only at the care and safety house (an organisation of kind `zvh`): a request answers
for every partner at once (all organisations' accesses, all sources' notes and signals), which is the joint
controllers' contactpunt's task, not one partner's. A partner's auditor reads its own organisation's audit
entries through GET /v1/audit (`audit_scope`); here it is refused (403, audited as denied with the reason).
The check comes before any look-up, so a refusal says nothing about whether the person is known.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.access.binding import audit_scope
from app.access.decisions import Decision, deny, granting_role
from app.auth.principal import Principal
from app.kit.errors import NotAllowed, NotFound
from app.vocabulary import Action


def require_subject_request(session: AsyncSession, principal: Principal, action: Action, *,
                            object_id: Any = None) -> Decision:
    """The role under which the caller serves a data-subject request, or a denied, audited 403. A refusal names
    the subject id asked for (if any), so that the attempt is in that person's own access report."""
    asked = (object_id,) if object_id is not None else ()
    role = granting_role(principal, action)
    if role is None:
        deny(session, principal, action, object_type="subject", object_id=object_id, subject_ids=asked,
             reason="role")
        raise NotAllowed(f"None of your roles may perform {action}")
    if audit_scope(principal) is not None:
        deny(session, principal, action, object_type="subject", object_id=object_id, subject_ids=asked,
             reason="data-subject requests are served by the care and safety house's auditor")
        raise NotAllowed("Data-subject requests are served by an auditor of the care and safety house (Wgs "
                         "contactpunt)")
    return Decision(action=action, role=role)


def deny_unknown_subject(session: AsyncSession, principal: Principal, action: Action, subject_id: Any) -> NotFound:
    """A request for a person that is not known (or an id of an address or group) is a denied attempt too."""
    deny(session, principal, action, object_type="subject", object_id=subject_id, subject_ids=(subject_id,),
         reason="not found")
    return NotFound("No person with this id")
