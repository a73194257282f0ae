"""Dialogue acts: what a short message does (greets, thanks, says yes...) as
opposed to what it asks. A closed list of acts, judged in the conversation's
context; anything substantive is ``OTHER`` and goes on to the FAQ.

Pure and fast (a few dictionary look-ups and regular expressions per message):
normalisation (NFKC, lower case, emoji as words, stretched letters), a lexicon
that must cover the whole message, one-typo tolerance for longer words, then a
few anchored English and Chinese patterns.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from functools import lru_cache

__all__ = ["Act", "ActContext", "classify"]


class Act(enum.StrEnum):
    GREETING = "greeting"
    THANKS = "thanks"
    ACKNOWLEDGEMENT = "acknowledgement"
    HELP = "help"
    ASK_IF_BOT = "ask-if-bot"
    YES = "yes"
    NO = "no"
    STILL_WAITING = "still-waiting"
    GOODBYE = "goodbye"
    HUMAN_REQUEST = "human-request"
    OTHER = "other"


class ActContext(enum.StrEnum):
    NONE = "none"
    OFFER = "offer"  # the bot just offered a human
    TICKET = "ticket"  # the user has an open ticket
    RESOLVED = "resolved"  # the user's ticket was just resolved


_EMOJI = {"👍": " ok ", "👌": " ok ", "✅": " ok ", "🆗": " ok ", "🙏": " thanks ", "👋": " hi "}
_EMOJI_RE = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200d]")
_STRETCH_RE = re.compile(r"([a-z])\1{2,}")
_CJK_RE = re.compile(r"[\u4e00-\u9fff]+|[a-z0-9']+")
_PUNCT_RE = re.compile(r"[^\w\u4e00-\u9fff?']+")

# raw word acts; "ack" and "yes" words are decided by the context
_LEX: dict[str, str] = {}
for _act, _phrases in {
    "greeting": "hi|hello|hey|hiya|helo|hallo|hii|heyy|yo|sup|gm|good morning|good evening|good afternoon|morning|"
                "evening|hi there|hello there|hey there|hey hey|你好|您好|哈喽|嗨|在吗|在不在|有人在吗|早上好|晚上好|"
                "下午好|早|你好呀",
    "thanks": "thanks|thank you|thank u|thx|tnx|ty|thankyou|thanks a lot|many thanks|cheers|appreciate it|"
              "appreciated|much appreciated|谢谢|多谢|感谢|谢啦|谢了|3q|非常感谢|谢谢你|谢谢啦|thanks for the help|"
              "that helped|解决了",
    "ack": "ok|okay|k|kk|okk|oki|okie|alright|got it|understood|cool|nice|great|good|fine|perfect|noted|i see|"
           "sounds good|makes sense|all good|好的|好|嗯|嗯嗯|知道了|明白了|明白|收到|行|好吧|懂了|了解|ahh|ah|oh|"
           "ok cool|alright then|good now|fair enough",
    "yes": "yes|yeah|yep|yup|ya|yea|y|yess|yass|sure|sure thing|please|pls|plz|of course|definitely|absolutely|"
           "go ahead|do it|please do|that would be great|是|是的|要|需要|可以|好啊|要的|麻烦了|对|好的谢谢|当然",
    "no": "no|nope|nah|n|no thanks|no thank you|not now|no need|i'm good|im good|im fine|i'm fine|never mind|"
          "nevermind|nvm|not really|it's fine|不|不用|不用了|不要|不需要|算了|没事了|没事|不了|先不用|不用麻烦了|"
          "没关系|no thx|否|不是|没有|新问题",
    "goodbye": "bye|goodbye|bye bye|see you|see ya|cya|later|good night|gn|take care|that's all|再见|拜拜|回头见|"
               "晚安|先这样|88|bb|see you later",
    "presence": "anyone|anyone here|anyone there|anybody|anybody there",
}.items():
    for _p in _phrases.split("|"):
        _LEX[_p] = _act
_FILLER = {"bro", "ser", "mate", "so", "much", "a", "lot", "very", "all", "team", "guys", "man", "sir", "again",
           "bot", "now", "then", "just", "for", "the", "客服", "啊", "呀", "吧", "呢", "哦", "嘛", "啦", "了",
           "的", "谢", "你", "you", "u"}
_ZH_MAX = max(len(p) for p in _LEX if not p.isascii())
# one typo is forgiven only in these words (a general list turns "what" into "that")
_FUZZY = ("thanks", "thank", "hello", "please", "human", "agent", "help", "waiting", "update", "okay", "sure",
          "yeah", "nope", "goodbye", "alright", "understood", "perfect", "morning", "evening", "cheers", "thankyou")
_TRAD = str.maketrans("還沒嗎謝幫們話個這麼為嗎啥號轉賬錢過麻煩見謝", "还没吗谢帮们话个这么为吗啥号转账钱过麻烦见谢")

_EN = re.compile
_ASK_BOT = (_EN(r"\b(are|r) (you|u) (a |an )?(real )?(bot|robot|ai|human|person|real|chatgpt|machine)\b"),
            _EN(r"\bis (this|that|it) (a |an )?(bot|ai|robot|automated|real person|human)\b"),
            _EN(r"\b(bot|robot) or (a )?human\b|\bhuman or (a )?(bot|robot)\b|^(you )?(a )?bot\b"),
            _EN(r"\b(talking|chatting|speaking) (to|with) (a |an )?(real )?(robot|bot|human|person|ai)\b"),
            _EN(r"\bis any(one|body) real\b"),
            _EN(r"(你|这|是).{0,4}(机器人|真人|人工|ai|自动回复)"), _EN(r"^(真人|机器人)吗?$"))
_HUMAN_NOUN = _EN(r"\b(human|person|agent|staff|operator|live agent|customer (service|support)|real person|someone|"
                  r"somebody|support)\b|人工|客服|真人")
_HUMAN_VERB = _EN(r"\b(want|need|talk|speak|chat|connect|get me|transfer|contact|let me|give me|call)\b|"
                  r"^(human|agent|operator|real person|live agent|customer service|humans?)\b|\b(pls|please|now)$|"
                  r"^(a )?(real )?(human|person|agent)\b")
_QUESTION_START = _EN(r"^(how|what|why|where|when|which|is|does|do|are|who)\b")
_WAIT = (_EN(r"\bstill (waiting|no (reply|answer|response|news)|nothing)\b|\bany (update|news|progress)|\bupdate pls\b"),
         _EN(r"\bhow (much )?longer\b|\bhow long (do|must|should|will) (i|we) (have to )?wait\b"),
         _EN(r"\bwhy (is it |is this |are you |so )*(so )?slow\b|^waiting\b|\bbeen (hours|days|ages|forever)\b"),
         _EN(r"\bwhen will (someone|anyone|somebody|you|u) (reply|answer|respond|get back)\b"),
         _EN(r"\b(nobody|no one|noone) (is )?(answer|repl|respond|here|help)"),
         _EN(r"\bis (anyone|someone|anybody|somebody) (looking|coming|there|here|working)\b"),
         _EN(r"\bare (you|u) (guys )?(there|still there)\b|\banyone\b.*\?|^hello.*\banyone\b"),
         _EN(r"还没人|没人回|怎么还没回|等了(好久|很久|半天|一天|几个小时|这么久)|什么时候回|有进展|还要等|人呢|还在等|"
             r"^有人吗|怎么没人|没有人回"))
_HELP = (_EN(r"^((pls|please|plz) )?(help|halp)( me)?( (pls|please|plz|asap))*\??$"),
         _EN(r"^(i )?(need|want) (some )?help( (pls|please|plz))?$|^can (you|u|someone|anyone|somebody) help( me)?"
             r"( (pls|please))?$"),
         _EN(r"^what (can|do) (you|u) do$|^how (does|do) (this|you|it) work$|^menu$|^\?+$|^commands?$"),
         _EN(r"^(请)?(帮帮我|帮我|求助|救命|帮忙|能帮我吗|怎么用|你能做什么|你会什么|有问题想问|求帮忙)$"))


def _damerau1(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by at most one edit (transposition included)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


@lru_cache(maxsize=4096)
def _fix(word: str) -> str:
    if len(word) < 4 or word in _LEX or word in _FILLER:
        return word
    for known in _FUZZY:
        if _damerau1(word, known):
            return known
    return word


def normalise(text: str) -> str:
    """NFKC, lower case, emoji as words, stretched letters shrunk, typos fixed."""
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'").translate(_TRAD)
    for emoji, word in _EMOJI.items():
        text = text.replace(emoji, word)
    text = _EMOJI_RE.sub(" ", text)
    text = _STRETCH_RE.sub(r"\1", text)
    text = _PUNCT_RE.sub(" ", text).replace("?", " ? ")
    return " ".join(_fix(w) if w.isascii() else w for w in text.split())


def _cover(tokens: list[str]) -> list[str] | None:
    """The raw acts of a message made only of lexicon phrases and fillers, in order."""
    acts: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if not tok.isascii():
            found = _cover_zh(tok)
            if found is None:
                return None
            acts.extend(found)
            i += 1
            continue
        for span in (4, 3, 2, 1):
            phrase = " ".join(tokens[i:i + span])
            if phrase in _LEX and all(t.isascii() for t in tokens[i:i + span]):
                acts.append(_LEX[phrase])
                i += span
                break
        else:
            if tok not in _FILLER and tok != "?":
                return None
            i += 1
    return acts


def _cover_zh(run: str) -> list[str] | None:
    acts: list[str] = []
    i = 0
    while i < len(run):
        for size in range(min(_ZH_MAX, len(run) - i), 0, -1):
            piece = run[i:i + size]
            if piece in _LEX:
                acts.append(_LEX[piece])
                i += size
                break
        else:
            if run[i:i + 2] in _FILLER:
                i += 2
                continue
            if run[i] not in _FILLER:
                return None
            i += 1
    return acts


def _decide(acts: list[str], context: ActContext) -> Act | None:
    present = set(acts)
    if not present:
        return None
    if context is ActContext.OFFER:
        for raw, act in (("no", Act.NO), ("yes", Act.YES), ("ack", Act.YES), ("goodbye", Act.GOODBYE),
                         ("thanks", Act.THANKS)):
            if raw in present:
                return act
    if "goodbye" in present:
        return Act.GOODBYE
    if "presence" in present:
        return Act.GREETING if "greeting" in present and context is not ActContext.TICKET else Act.STILL_WAITING
    for raw, act in (("thanks", Act.THANKS), ("no", Act.NO), ("ack", Act.ACKNOWLEDGEMENT),
                     ("yes", Act.ACKNOWLEDGEMENT), ("greeting", Act.GREETING)):
        if raw in present:
            return act
    return None


def classify(text: str, context: ActContext = ActContext.NONE) -> Act:
    """The dialogue act of ``text`` in ``context``; ``OTHER`` for anything substantive."""
    norm = normalise(text)
    if not norm:
        return Act.OTHER
    tokens = norm.split()
    if context is ActContext.OFFER and len(tokens) <= 5 and _LEX.get(tokens[0]) in ("yes", "ack", "no"):
        return Act.NO if _LEX[tokens[0]] == "no" else Act.YES
    covered = _cover(tokens)
    if covered is not None:
        decided = _decide(covered, context)
        if decided is not None:
            return decided
        if tokens and all(t == "?" for t in tokens):
            return Act.HELP
    flat = " ".join(t for t in tokens if t != "?")
    asked = "?" in tokens or text.rstrip().endswith(("吗", "?", "？"))
    zh_len = sum(1 for c in flat if "\u4e00" <= c <= "\u9fff")
    if len(tokens) > 12 or zh_len > 14:
        return Act.OTHER
    if any(p.search(flat) for p in _ASK_BOT) and (asked or len(tokens) <= 6):
        return Act.ASK_IF_BOT
    if _HUMAN_NOUN.search(flat) and len(tokens) <= 9 and (not _QUESTION_START.match(flat) or
                                                             re.match(r"^(can|could|may) i (talk|speak|chat)", flat)):
        if _HUMAN_VERB.search(flat) or not flat.isascii():
            return Act.HUMAN_REQUEST
    if any(p.search(flat) for p in _WAIT):
        return Act.STILL_WAITING
    if any(p.search(flat) for p in _HELP):
        return Act.HELP
    return Act.OTHER
