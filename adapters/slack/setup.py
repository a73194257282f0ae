"""What the Slack app needs, in one place: the bot scopes (each with the calls it
serves), the events and slash commands the adapter listens to, and the request paths
it serves. The adapter registers its listeners from these lists; ``walletdesk slack
manifest`` prints them as an app manifest and ``walletdesk doctor`` checks the granted
scopes against them. No slack-bolt here (the entry point imports this module)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.i18n import t

if TYPE_CHECKING:
    from core.config import Settings

__all__ = ["BOT_EVENTS", "BOT_SCOPES", "COMMANDS_PATH", "EVENTS_PATH", "FAQ_COMMAND", "HOME_EVENTS",
           "INTERACTIVE_PATH",
           "MESSAGE_EVENTS", "SLASH_COMMANDS", "STAFF_CHANGE_EVENTS", "STAFF_COMMANDS", "USER_SCOPES", "manifest"]

EVENTS_PATH = "/slack/events"
INTERACTIVE_PATH = "/slack/interactive"
COMMANDS_PATH = "/slack/commands"

# scope -> the Web API methods (or events) of the adapter that need it
BOT_SCOPES: dict[str, tuple[str, ...]] = {
    "chat:write": ("chat.postMessage", "chat.update", "chat.delete", "chat.postEphemeral"),
    "im:write": ("conversations.open",),
    "reactions:write": ("reactions.add",),
    "users:read": ("users.info",),
    "channels:read": ("conversations.info", "conversations.members", "member_joined_channel"),
    "groups:read": ("conversations.info", "conversations.members", "member_joined_channel"),
    "usergroups:read": ("usergroups.users.list", "subteam_members_changed"),
    "commands": ("slash commands",),
    "app_mentions:read": ("app_mention",),
    "channels:history": ("message.channels",),
    "groups:history": ("message.groups",),
    "im:history": ("message.im",),
    "files:read": ("url_private (the shield reads the images people share)",),
    "files:write": ("files.getUploadURLExternal", "files.completeUploadExternal"),  # transcripts to staff, users' screenshots into ticket threads, staff files to users
}
# SLACK_ADMIN_USER_TOKEN: a workspace admin's token that deletes users' leaked messages
USER_SCOPES = ("chat:write",)

MESSAGE_EVENTS = ("message.channels", "message.groups", "message.im")  # bolt's "message" listener
STAFF_CHANGE_EVENTS = ("member_joined_channel", "member_left_channel", "subteam_members_changed")
HOME_EVENTS = ("app_home_opened",)  # the App Home tab (adapters/slack/home.py)
BOT_EVENTS = (*MESSAGE_EVENTS, "app_mention", *STAFF_CHANGE_EVENTS, *HOME_EVENTS)

STAFF_COMMANDS = ("/ticket", "/tickets", "/note", "/block", "/unblock", "/snippet", "/shift")
FAQ_COMMAND = "/faq"
# command -> (i18n key of the description, usage hint)
SLASH_COMMANDS: dict[str, tuple[str, str]] = {
    "/ticket": ("slack.setup.cmd.ticket", "<id> reply|close|priority|transfer|... [text]"),
    "/tickets": ("slack.setup.cmd.tickets", "[open|waiting|unassigned|mine|urgent|high|breaching|breached|snoozed|@name|#tag]"),
    "/note": ("slack.setup.cmd.note", "<id> <text>"),
    "/block": ("slack.setup.cmd.block", "[<user> [reason]]"),
    "/unblock": ("slack.setup.cmd.unblock", "<user>"),
    "/snippet": ("slack.setup.cmd.snippet", "list | show <name> | add <name> <text> | edit <name> [en|zh] <text> | remove <name>"),
    "/shift": ("slack.setup.cmd.shift", "on | off | status"),
    FAQ_COMMAND: ("slack.setup.cmd.faq", "<question> | add <entry> <question> | added | remove <n> | reload | ids"),
}


def manifest(settings: "Settings", *, name: str = "walletdesk") -> dict[str, Any]:
    """The app manifest (https://api.slack.com/reference/manifests) for this configuration:
    Socket Mode when ``SLACK_APP_TOKEN`` is set, else HTTP request URLs under
    ``WALLETDESK_PUBLIC_URL``. Raises ValueError when HTTP mode has no public URL."""
    socket = settings.slack_app_token is not None
    base = (settings.public_url or "").rstrip("/")
    if not socket and not base:
        raise ValueError("set SLACK_APP_TOKEN (Socket Mode) or WALLETDESK_PUBLIC_URL (the HTTP request URLs)")

    def url(path: str) -> dict[str, str]:
        return {} if socket else {"url": base + path}

    commands = [{"command": cmd, **url(COMMANDS_PATH), "description": t(key, "en"), "usage_hint": hint,
                 "should_escape": False} for cmd, (key, hint) in SLASH_COMMANDS.items()]
    scopes: dict[str, list[str]] = {"bot": list(BOT_SCOPES)}
    if settings.slack_admin_user_token is not None:
        scopes["user"] = list(USER_SCOPES)
    events: dict[str, Any] = {"bot_events": list(BOT_EVENTS)}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if not socket:
        events = {"request_url": base + EVENTS_PATH, **events}
        interactivity["request_url"] = base + INTERACTIVE_PATH
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {"name": name, "description": t("slack.setup.description", "en")},
        "features": {
            "app_home": {"home_tab_enabled": True, "messages_tab_enabled": True,
                         "messages_tab_read_only_enabled": False},
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": commands,
        },
        "oauth_config": {"scopes": scopes},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket,
            "token_rotation_enabled": False,
        },
    }
