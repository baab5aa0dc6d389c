from django import forms
from django.contrib.auth.forms import UserCreationForm

from mtp.accounts.models import User


class SignUpForm(UserCreationForm):
    # The model's length, not the form field's default of 320.
    email = forms.EmailField(
        required=True, max_length=254, help_text="Used only to reset your password."
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("That username is taken.")
        return username

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with that email address already exists.")
        return email


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("display_name", "email")
        help_texts = {"display_name": "Shown to others instead of your username. Optional."}

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if not email:
            raise forms.ValidationError("An email address is required.")
        taken = User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists()
        if taken:
            raise forms.ValidationError("An account with that email address already exists.")
        return email


class DeleteAccountForm(forms.Form):
    """Deleting an account asks for its password, so a session left open is not enough."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password
