from django import template

from yilian.indicators.exports import _cell

register = template.Library()


@register.simple_tag
def cell(obj, field):
    return _cell(obj, field)


@register.simple_tag
def part(subject, indicator):
    """One indicator's value in an assessment row ("—" when the subject has no figure)."""
    found = subject.parts.get(indicator.pk)
    return "—" if found is None or found.value is None else found.value
