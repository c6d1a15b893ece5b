"""OpenAPI schemas made from the forms that validate each endpoint's input (forms.py), so
that the document cannot say one thing while the form checks another: a field's type, its
bounds, its choices and whether it is required come from the form; only the words
(descriptions, examples) are added here.
"""

from __future__ import annotations

from typing import Any

from django import forms

from .. import languages
from .forms import BooleanParam, LanguageField, WhisperLanguageField

LANGUAGE_CODES = sorted({code for language in languages.LANGUAGES for code in language[:2] if code})
WHISPER_CODES = sorted(language.whisper_code for language in languages.LANGUAGES)
LANGUAGE = {
    "type": "string",
    "enum": LANGUAGE_CODES,
    "description": "ISO-639-2 code, B (`ger`) or T (`deu`), in any letter case; echoed as the B code",
    "example": "eng",
}


def field_schema(field: forms.Field) -> dict[str, Any]:
    """The JSON schema of the values `field` accepts."""
    if isinstance(field, LanguageField):
        return dict(LANGUAGE)
    if isinstance(field, WhisperLanguageField):
        return {"type": "string", "enum": WHISPER_CODES}
    if isinstance(field, BooleanParam):
        return {"type": "boolean"}
    if isinstance(field, forms.FileField):
        return {"type": "string", "format": "binary"}
    if isinstance(field, forms.ChoiceField):
        return {"type": "string", "enum": [str(value) for value, _label in field.choices if value != ""]}
    if isinstance(field, forms.DateField):
        return {"type": "string", "format": "date"}
    if isinstance(field, (forms.IntegerField, forms.FloatField)):
        # A FloatField is an IntegerField to Django.
        schema: dict[str, Any] = {"type": "number" if isinstance(field, forms.FloatField) else "integer"}
        if field.min_value is not None:
            schema["minimum"] = field.min_value
        if field.max_value is not None:
            schema["maximum"] = field.max_value
        return schema
    schema = {"type": "string"}
    if field.required:
        schema["minLength"] = 1
    if getattr(field, "max_length", None) is not None:
        schema["maxLength"] = field.max_length
    return schema


def properties(form: type[forms.Form], words: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """{field name: schema} of a form's fields, each with its `words` (description, example,
    or a narrower schema where the form's clean method is the narrower one)."""
    words = words or {}
    return {name: {**field_schema(field), **words.get(name, {})} for name, field in form.base_fields.items()}


def required(form: type[forms.Form]) -> list[str]:
    return [name for name, field in form.base_fields.items() if field.required]


def query_parameters(form: type[forms.Form], words: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The query parameters a form reads from request.GET; an empty value is read as absent."""
    return [
        {"name": name, "in": "query", "required": False, "allowEmptyValue": True, "schema": schema}
        for name, schema in properties(form, words).items()
    ]
