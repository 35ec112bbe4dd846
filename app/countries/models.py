"""The vocabularies in use, counted: what their endpoints answer."""

from pydantic import BaseModel, Field


class CountryCount(BaseModel):
    code: str = Field(description="ISO 3166-1 alpha-3 code.", examples=["AZE"])
    name: str = Field(description="Its short English name (ISO 3166).", examples=["Azerbaijan"])
    count: int = Field(description="How many events involve it.", examples=[10])


class TagCount(BaseModel):
    tag: str = Field(description="The tag, in lower case.", examples=["diplomacy"])
    count: int = Field(description="How many events carry it.", examples=[9])
