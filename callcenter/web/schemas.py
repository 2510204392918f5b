"""Request and response bodies of the JSON API (they make the OpenAPI document)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Login(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=200)


class Me(BaseModel):
    username: str
    display_name: str
    role: str
    member_interface: str | None
    csrf_token: str
    language: str
    timezone: str = Field(description="the center's time zone: pages show its wall clock")


class TicketChanges(BaseModel):
    """Fields an agent records while talking; supervisors may also set the rating
    and mark the team lead's callback and the review as done."""

    category: str | None = Field(None, description="咨询 | 投诉 | 建议 | 表扬 | 求助")
    content: str | None = None
    address: str | None = None
    resolution: str | None = None
    priority: str | None = Field(None, description="low | normal | high | urgent")
    mood: str | None = Field(None, description="calm | anxious | angry | satisfied")
    status: str | None = Field(None, description="open | dispatched | accepted | resolved | closed")
    customer_name: str | None = None
    dispatched_to: str | None = None
    rating: str | None = Field(None, description="satisfied | ordinary | unsatisfied")
    lead_called: bool | None = None
    reviewed: bool | None = None


class AttemptResult(BaseModel):
    outcome: str = Field(description="the center's outcome code, e.g. success, refused")
    score: int | None = Field(None, ge=0, le=5, description="0-5, required for success")
    note: str = Field("", max_length=500)


class ErrorBody(BaseModel):
    error: str = Field(description="stable error id, e.g. web.forbidden")
    detail: str
