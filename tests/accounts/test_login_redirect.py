"""Where sign-in, step-up and sign-out send the browser: a local path of this portal, or home."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
LOGIN = reverse("accounts:login")

# Relative names (also URL names such as "home", which redirect() would reverse), other hosts,
# scheme tricks and non-paths: none of them is a local path.
UNSAFE_NEXT = [
    "foo",
    "home",
    "admin:index",
    "./devices/",
    "../admin/",
    "devices/",
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "javascript:alert(1)",
    "?next=/devices/",
]


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_a_signed_in_user_with_an_unsafe_next_lands_on_the_home_page(client_alice, target):
    response = client_alice.get(LOGIN, {"next": target})
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_a_signed_in_user_with_a_local_next_goes_there(client_alice):
    response = client_alice.get(LOGIN, {"next": "/devices/?q=A-0001"})
    assert response.status_code == 302 and response["Location"] == "/devices/?q=A-0001"


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_signing_in_with_an_unsafe_next_lands_on_the_home_page(client, local, target):
    response = client.post(LOGIN, {"username": "breakglass", "password": "Right-Password-1", "next": target})
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_signing_in_with_a_local_next_goes_there(client, local):
    response = client.post(
        LOGIN, {"username": "breakglass", "password": "Right-Password-1", "next": "/devices/"}
    )
    assert response.status_code == 302 and response["Location"] == "/devices/"


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_the_login_form_never_carries_an_unsafe_next(client_anon, target):
    response = client_anon.get(LOGIN, {"next": target})
    assert response.status_code == 200 and response.context["next"] == reverse("home")


@pytest.mark.parametrize("target", ["foo", "https://evil.example/", "/devices/"])
def test_signing_out_always_lands_on_the_sign_in_page(client_alice, target):
    response = client_alice.post(f"{reverse('accounts:logout')}?next={target}", {"next": target})
    assert response.status_code == 302 and response["Location"] == LOGIN
