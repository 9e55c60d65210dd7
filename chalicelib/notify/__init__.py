"""Notifiers behind one interface (`Notifier.send(change)`), and `deliver`, which routes changes to them.

SNS and Slack differ only in transport; the wording lives in `chalicelib.notify.render`. Importing this
package loads neither boto3 nor Powertools: adapters get their clients from the composition root.
"""

from __future__ import annotations

from .base import ChannelReport, DeliveryError, DeliveryReport, Notifier, Sent, deliver
from .secrets import webhook_url_provider
from .slack import SlackNotifier
from .sns import SnsNotifier
from .stdout import StdoutNotifier

__all__ = [
    "ChannelReport",
    "DeliveryError",
    "DeliveryReport",
    "Notifier",
    "Sent",
    "SlackNotifier",
    "SnsNotifier",
    "StdoutNotifier",
    "deliver",
    "webhook_url_provider",
]
