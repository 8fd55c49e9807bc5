import logging
import re

import pytest


@pytest.fixture
def texts(caplog):
    """The texts the logging SMS sender "sent" (logged, not sent): texts() → [(masked, text)]."""
    caplog.set_level(logging.INFO, logger="pledgeloop.notify.sms")

    def sent() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "pledgeloop.notify.sms"]

    return sent


def last_code(texts) -> str:
    messages = texts()
    assert messages, "no text was sent"
    return re.findall(r"(?<!\d)(\d{6})(?!\d)", messages[-1])[0]


def sign_in_by_code(client, texts, phone: str) -> None:
    client.post("/my/sign-in/", {"phone": phone})
    response = client.post("/my/sign-in/", {"code": last_code(texts)})
    assert response.status_code == 302 and response["Location"] == "/my/"
