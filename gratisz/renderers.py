"""The form renderer: Django's own widget templates in their Jinja2 form.

A desk page renders a dozen form fields, and Django's template language spent about a third of
the call screen's time on their widget and label templates. Django ships every one of its form
templates for Jinja2 as well, and Jinja2 compiles them to Python: the same HTML for a fraction
of the time. A template that has no Jinja2 form (the admin's own widgets) is rendered by the
Django template language, as before.
"""

from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist


class FormRenderer(BaseRenderer):
    def __init__(self):
        self.jinja2 = Jinja2()
        self.django = DjangoTemplates()

    def get_template(self, template_name):
        try:
            return self.jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self.django.get_template(template_name)
