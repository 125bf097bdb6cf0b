"""The CRM's response shapes, exactly as ../shared/seeds/crm-system-master-context.md gives them.

The seed's note is the rule here: the live API answers FLAT. Lists are
`{success, data: [...], pagination: {...}}` (contacts, messages) or
`{success, data: [...], count, ...}` (campaigns); the campaign report is
`{success, campaign_id, metrics: {...}, delivery_rate: "98%"}` with no `data` wrapper.

Parsing is strict (no coercion: a number sent as "5" or a missing `chat_id` is an error that
names the field, see crm.client.CrmResponseError); fields the seed does not list are ignored, so
an API that grows a field keeps working.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator


class _Shape(BaseModel):
    # strict: the CRM's JSON types are the contract; extra="ignore": new fields are not errors.
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, populate_by_name=True)


class Contact(_Shape):
    chat_id: str = Field(min_length=1)
    whatsapp_number: str
    email: str | None = None
    name: str | None = None
    custom_fields: dict[str, str] | None = None


class Pagination(_Shape):
    """The seed writes `pagination: {...}` and reads the contact total from it; the page fields
    are optional (their names vary between the CRM's versions: page/limit, snake or camel)."""

    total: int = Field(ge=0)
    page: int | None = None
    limit: int | None = Field(None, validation_alias=AliasChoices("limit", "per_page",
                                                                   "perPage", "page_size"))
    total_pages: int | None = Field(None, validation_alias=AliasChoices(
        "total_pages", "totalPages", "pages"))


class ContactListResponse(_Shape):
    success: Literal[True]
    data: list[Contact]
    pagination: Pagination


class ContactSearchResponse(_Shape):
    """Search results: a flat list like the contact list; the seed does not show whether search
    pages, so `pagination` and `count` are optional here."""

    success: Literal[True]
    data: list[Contact]
    pagination: Pagination | None = None
    count: int | None = None


CampaignStatus = Literal["draft", "scheduled", "active", "completed"]


class Campaign(_Shape):
    campaign_id: str = Field(min_length=1)
    name: str
    status: CampaignStatus
    scheduled_at: datetime | None


class CampaignListResponse(_Shape):
    success: Literal[True]
    data: list[Campaign]
    count: int = Field(ge=0)


class CampaignReportMetrics(_Shape):
    total_recipients: int = Field(ge=0)
    delivered: int = Field(ge=0)
    read: int = Field(ge=0)
    replied: int = Field(ge=0)
    failed: int = Field(ge=0)


PERCENT_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


class CampaignReport(_Shape):
    """The flat report (`{success, ...CampaignReport}`); `delivery_rate` stays the CRM's string
    ("98%") and `delivery_rate_percent` is its number (98.0)."""

    success: Literal[True]
    campaign_id: str = Field(min_length=1)
    metrics: CampaignReportMetrics
    delivery_rate: str

    @field_validator("delivery_rate")
    @classmethod
    def _percent(cls, value: str) -> str:
        if not PERCENT_RE.match(value):
            raise ValueError(f"expected a percentage such as \"98%\", got {value!r}")
        return value

    @property
    def delivery_rate_percent(self) -> float:
        match = PERCENT_RE.match(self.delivery_rate)
        assert match is not None  # checked by the validator
        return float(match.group(1))


class Message(_Shape):
    message_id: str = Field(min_length=1)
    content: str
    direction: Literal["inbound", "outbound"]
    status: Literal["sent", "delivered", "read"]
    timestamp: datetime


class MessageListResponse(_Shape):
    """A chat's messages: a flat list like the others; the seed shows no pagination for it, so
    both `pagination` and `count` are optional."""

    success: Literal[True]
    data: list[Message]
    pagination: Pagination | None = None
    count: int | None = None
