"""Building the FAQ engine's index: training rows (entries, their names, the built-in
background chatter), stratified folds, out-of-fold calibration and the final model; and
the on-disk cache of built indexes."""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from core.faq.calibration import (DEFAULT_THRESHOLD, Calibrator, best_entry, candidate_features, label_noise,
                                  learn_threshold, mislabelled)
from core.faq.features import FoldFeatures
from core.faq.heap import release_freed_heap
from core.faq.model import Model, tokens_and_vectors
from core.faq.models import FaqEntry
from core.lang import normalize

__all__ = [
    "Index", "Progress", "BACKGROUND_ID", "BACKGROUND_EXAMPLES",
    "build_index", "training_rows", "folds", "cache_key", "load_cached", "save_cached",
]

_LOGGER = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

Index = tuple[Model, Calibrator, float]  # the final model, its calibrator, the learned threshold

BACKGROUND_ID = "__background__"
# Bump when features/calibration change, or a pickled class moves, so stale caches are ignored.
# 10: the classes moved from core.faq_engine to core.faq.{features,model,calibration}.
_INDEX_VERSION = "tfidf-svm-cal-10"
_N_FOLDS = 4
_ID_SEPARATORS_RE = re.compile(r"[\W_]+")  # card_arrival, transfer-not-arrived -> words

# Chatter that a wallet support bot sees but must not answer from the FAQ.
BACKGROUND_EXAMPLES: tuple[str, ...] = (
    "hi", "hello", "hey there", "good morning", "gm", "gn everyone", "hello everyone, how are you",
    "how are you doing today", "thanks", "thank you so much", "thx bro", "ok", "okay cool", "lol",
    "nice", "great, thanks for the help", "bye", "see you later", "who are you", "are you a bot",
    "what is your name", "tell me a joke", "what's the weather like today", "i like pizza",
    "what time is it", "can you recommend a good movie", "who won the football game yesterday",
    "wen moon", "when lambo", "will bitcoin go up tomorrow", "what is the price of eth going to be next week",
    "should i buy solana now", "is this coin going to pump", "price prediction for btc this year",
    "which token will 100x", "is it a good time to sell", "give me trading signals",
    "what do you think about the market", "let's go to the moon", "to the moon", "hodl",
    "anyone here from germany", "can you write my homework", "what is the capital of france",
    "how do i cook rice", "recommend me a laptop", "i'm bored", "good night", "test", "testing 123",
    "你好", "大家好", "早上好", "晚安", "谢谢", "多谢", "好的", "哈哈哈", "再见", "你是谁", "你是机器人吗",
    "今天天气怎么样", "讲个笑话", "比特币明天会涨吗", "现在适合买以太坊吗", "这个币会不会暴涨",
    "给我推荐一个能翻倍的币", "币价什么时候起飞", "大盘怎么看", "有没有交易信号", "今晚吃什么",
    "推荐一部电影", "在吗", "有人吗", "测试", "你们几点下班啊哈哈",
    # community talk and spam, which static vectors put close to wallet words
    "wassup", "heya", "morning fam", "evening folks", "cool cool", "lmao", "based", "ser", "fren",
    "brb", "ty", "np", "welcome to the group", "glad to be here", "what a day", "love this project",
    "great team", "who is the dev", "when is the next ama", "when is the token launch", "roadmap?",
    "is this project legit or a rug", "are we early", "bullish", "bearish", "we are so back", "ngmi",
    "wagmi", "long or short", "what leverage do you use", "which altcoin is next", "dump incoming",
    "is it too late to buy", "how high can it go", "what is your portfolio", "join my channel for free signals",
    "check out my nft collection", "vote for us in the contest", "subscribe to my youtube",
    "what's your favourite football team", "any good restaurants nearby", "i need a new phone",
    "my internet is slow today lol", "happy new year everyone", "merry christmas", "happy birthday",
    "牛", "冲", "哈喽大家", "兄弟们好", "各位晚安", "欢迎新人", "辛苦了", "666", "项目方在吗",
    "什么时候开AMA", "这个项目靠谱吗", "什么时候上所", "还能上车吗", "做多还是做空", "几倍杠杆",
    "下一个百倍币是哪个", "要砸盘了", "大佬们都买了啥", "关注我的频道领信号", "帮我点个赞",
    "周末去哪玩", "新年快乐", "生日快乐", "今天好累啊",
    # chat-style chatter (issue 14 item 9), by kind; the bot answers none of it
    # greetings, thanks and reactions
    "gm fam", "gm gm", "gm ser", "good morning frens", "gn all", "gn ser", "night guys", "sup all",
    "hey hey", "hiii", "hello frens", "ty ser", "thx", "thanks bot", "appreciate it", "cool",
    "ok ty", "got it thanks", "kk", "lfg", "lets gooo", "🔥🔥", "🚀🚀🚀", "👍", "haha", "hahaha nice", "xD",
    "bruh", "rip", "oof", "gg", "omg", "wow", "same", "this", "fr fr", "ngl", "true", "sheesh",
    "早", "早安", "各位好", "晚上好", "晚安各位", "午安", "谢啦", "感谢", "收到", "好嘞", "哈哈",
    "嘻嘻", "牛逼", "厉害", "加油", "冲冲冲", "起飞", "赞", "👍👍", "大家早安", "早啊兄弟们", "gm 大家",
    # price talk and predictions
    "eth gonna pump?", "btc to 100k when", "wen 200k btc", "is sol going up", "pepe gonna moon?",
    "price of eth now?", "btc price rn", "what will doge be worth next year", "is this the bottom",
    "time to buy the dip?", "are we in a bear market", "bull run when", "alt season when", "rekt lol",
    "got liquidated again", "market is crazy today", "green candles everywhere", "red day again",
    "my bags are down 50%", "this chart looks bullish", "btc dominance rising", "is eth dead",
    "sol or eth which goes higher", "should i sell my bags", "take profit now?", "dca or lump sum",
    "where is the top", "eth etf news?", "fed meeting today, dump?", "cpi data tomorrow",
    "比特币能涨到多少", "以太坊还会涨吗", "今天大跌了", "又爆仓了", "行情太猛了", "什么时候牛市", "是不是要熊了",
    "现在能抄底吗", "要不要止盈", "这波还能追吗", "山寨季什么时候来", "减半之后会涨吗", "大饼要破新高了",
    "姨太能到五千吗", "狗狗币还有戏吗", "这币是不是到顶了", "今天是不是该割肉", "eth会不会跌破两千",
    "btc明天怎么走", "sol能涨到多少", "大盘要崩了吗", "现在是牛还是熊",
    # trading advice, futures, gems
    "best coin to buy now", "any gems ser", "next 1000x?", "shill me a coin", "what are you buying",
    "whats in your bag", "which meme coin is next", "anyone in on the new presale", "leverage trading tips",
    "how to trade futures", "bybit or binance for perps", "best exchange for futures", "copy trading worth it?",
    "anyone doing grid bots", "share your trades", "who else is shorting", "long eth here?",
    "推荐个币", "有什么潜力币", "买什么好", "下一个千倍币", "合约怎么玩", "有人玩永续吗", "现货还是合约",
    "带单靠谱吗", "量化机器人好用吗", "大家仓位多少", "有没有一起做多的", "meme币推荐一下", "跟单群有吗",
    # other projects' airdrops, listings, launches
    "when airdrop", "is the airdrop snapshot done", "how to qualify for the layer2 airdrop",
    "which testnets to farm", "any new airdrops to farm", "when coinbase listing", "is this token listed on okx",
    "when does the presale end", "tge date?", "how to join the whitelist", "is the mint live",
    "空投快照了吗", "怎么撸空投", "有什么新空投", "什么时候上线交易所", "预售什么时候结束", "白名单怎么拿",
    "这个项目什么时候发币", "tge是哪天", "撸毛项目推荐", "测试网交互有用吗",
    # staking, yield, mining, other platforms' products
    "how do i stake sol", "where to stake eth for best apr", "is liquid staking safe", "best apy for usdc",
    "how to run a validator", "how to provide liquidity on uniswap", "yield farming tips", "lending rates on aave",
    "how to mine bitcoin at home", "is gpu mining still profitable", "best mining pool", "restaking worth it?",
    "binance earn vs okx earn", "is the binance savings product any good", "bybit earn apr",
    "怎么质押eth", "质押年化多少", "哪里理财收益高", "流动性挖矿怎么弄", "矿机哪里买", "挖矿还赚钱吗",
    "币安理财靠谱吗", "欧易的赚币产品怎么样", "借贷平台哪个好", "节点怎么搭", "再质押值得吗",
    "幣安理財收益多少", "質押年化是多少", "挖礦要買什麼設備",
    # tax, law, jobs, meetups
    "do i pay tax on crypto gains", "crypto tax software recommendations", "is crypto legal in my country",
    "any tax accountant here", "capital gains on btc?", "hiring a community manager", "looking for a job in web3",
    "we are hiring rust devs", "anyone need a designer", "looking for a cofounder", "any devs here",
    "anyone in london", "anyone from nigeria here", "who is going to the conference", "meetup in singapore?",
    "炒币要交税吗", "币圈收入怎么报税", "加密货币在国内合法吗", "招聘运营，有意私聊", "找web3工作", "有没有做设计的",
    "有深圳的吗", "有没有北京的朋友", "线下聚会吗", "有人去峰会吗", "有没有群友在杭州", "招人", "求职",
    # other wallets, chains and dev questions
    "metamask or phantom?", "is trust wallet good", "which hardware wallet is best for solana",
    "does ledger support xrp", "how do solana transactions work", "explain rollups", "what is a zk proof",
    "how to write a solidity contract", "how does the lightning network work", "what is restaking",
    "小狐狸钱包好用吗", "tp钱包和imtoken哪个好", "ledger支持哪些币", "layer2是什么", "怎么写智能合约",
    "什么是零知识证明", "solana生态有什么好项目", "哪条链gas最便宜做meme",
    # off-topic and jokes
    "anyone watching the game tonight", "what's for lunch", "best vpn for travel", "recommend a good book",
    "which phone should i buy", "how to learn python", "my cat is sleeping on my keyboard", "tell me something funny",
    "monday again ugh", "who wants to play valorant", "best pizza in town", "it's raining here",
    "推荐个vpn", "今天好热", "有人打游戏吗", "午饭吃啥", "周末愉快", "讲个段子", "推荐本书", "有人看球吗",
    "wen lambo ser", "ser pls", "i'm poor now haha", "bought the top again 🤡", "number go up", "few understand",
    # taxes and other platforms' products, which share words ("report", "safe") with entries
    "how do i report my crypto income to the tax office", "do staking rewards go on my tax return",
    "which form do i use to declare crypto gains", "tax report for my trades?", "is binance safe to keep funds on",
    "is okx legit", "is bybit earn risky", "are cex savings products safe", "is kucoin trustworthy",
    "加密货币收益怎么报税", "炒币赚的钱要申报吗", "欧易安全吗", "币安的活期理财有风险吗", "火币还靠谱吗",
    "幣安的定期理財划算嗎", "加密貨幣要怎麼報稅",
    # mixed zh-en, Traditional Chinese and emoji chatter; features no entry covers (staking, NFTs)
    "gm 兄弟们", "这波pump了", "今天又rekt了", "大饼to the moon", "wagmi 兄弟们", "sol要起飞了吗🚀", "eth 冲冲冲",
    "有没有alpha", "这个meme币能买吗", "btc新高了🎉", "早安大家☀️", "晚安 gn", "哈哈哈 lol", "太牛了 bro",
    "大家好呀", "早安各位", "謝謝大家", "哈哈好笑", "今天行情如何", "比特幣會跌嗎", "現在可以買嗎", "有推薦的幣嗎",
    "以太坊會漲嗎", "晚安大家", "有人在台北嗎", "空投什麼時候", "這個項目會上幣安嗎",
    "can i stake in this wallet", "does this wallet do staking", "can i buy nfts in the app", "nft floor price?",
    "any good nft mints today", "does the app have an earn feature", "can i lend my usdt here for interest",
    "钱包能质押吗", "这个钱包能买nft吗", "app里有理财功能吗", "能在这里赚利息吗",
    "lol who else got rekt", "bro this chop is brutal", "anyone else bored of this crab market",
    "what is everyone aping into", "pump it 🚀", "so bullish rn", "gm legends", "we're so early",
    "do you guys have a token", "is there a referral program", "when is your next giveaway", "who runs this group",
    "你们有发币计划吗", "有邀请返佣吗", "什么时候搞活动", "群主是谁",
    # round 2 (issue 14 item 9): futures and exchange mechanics, other tools, concepts, games and
    # referral codes, banter; the futures words ("funding rate", "手续费") sat next to gas-fees
    "what's the funding rate on btc perps rn", "how is the liquidation price calculated on futures",
    "isolated or cross margin, which do you use", "maker vs taker fee on the big exchanges",
    "how does the insurance fund on binance futures work", "资金费率现在是正还是负", "永续合约爆仓价怎么算", "逐仓和全仓有什么区别", "开合约的挂单手续费是多少",
    "保证金率低于多少会爆仓", "交易所的vip手续费等级怎么算", "期权怎么玩，有人懂吗",
    "any good app for crypto price alerts", "which portfolio tracker do you guys use",
    "best charting site besides tradingview", "is there a telegram bot that tracks whale moves", "看行情用哪个app好",
    "有没有好用的记账软件记币圈收益", "链上数据分析网站推荐",
    "what is a dao exactly", "eli5 how mev works", "difference between a l1 and a l2", "what does tvl mean",
    "how do stablecoins keep their peg", "什么是mev", "稳定币是怎么保持锚定的", "tvl是什么意思",
    "anyone still grinding points on that new l2", "which gamefi project is actually fun",
    "drop your okx referral link", "where do you guys get into presales early", "有人撸积分吗", "链游哪个好玩", "谁有币安的邀请链接",
    "打新哪个平台中签率高",
    "coffee first, charts later", "lol my portfolio is a crime scene", "another red monday, classic",
    "not financial advice but i'm all in", "anyone else up this late staring at charts",
    "welcome newcomers, glad you're here", "haha same bro", "just vibing", "gm from tokyo", "亏麻了哈哈", "今天心态炸了",
    "又是割韭菜的一天", "新人来报道", "大家周末去哪玩", "喝杯咖啡先",
    "gm 各位老铁", "大家hold住", "今天btc又dump了 lol", "dubai那个区块链大会有人去吗", "這個幣還能拿嗎", "大家覺得牛市還有多久", "今天行情真刺激",
)



def training_rows(entries: Sequence[FaqEntry], background: bool) -> tuple[list[str], np.ndarray, list[str],
                                                                           np.ndarray]:
    """Normalised example texts, their class indices, the class ids, and which rows are
    entry names (an id such as ``card_arrival`` or ``买家咨询返现金额`` names its topic:
    one more example, always trained on and never held out, so calibration sees only
    questions). BANKING77 10-shot, five draws: accuracy +0.4, coverage at 95 % +1.4 points."""
    class_ids = [e.id for e in entries]
    if len(set(class_ids)) != len(class_ids):
        raise ValueError("duplicate FAQ entry ids")
    texts: list[str] = []
    labels: list[int] = []
    named: list[bool] = []
    for idx, entry in enumerate(entries):
        questions = [normalize(q) for q in entry.all_questions()]
        name = normalize(_ID_SEPARATORS_RE.sub(" ", entry.id))
        for text, is_name in [(name, True)] + [(q, False) for q in questions]:
            if text and (not is_name or questions):  # a name alone is no example question
                texts.append(text)
                labels.append(idx)
                named.append(is_name)
    if background:
        class_ids.append(BACKGROUND_ID)
        texts += [normalize(t) for t in BACKGROUND_EXAMPLES]
        labels += [len(class_ids) - 1] * len(BACKGROUND_EXAMPLES)
        named += [False] * len(BACKGROUND_EXAMPLES)
    if not texts:
        raise ValueError("the FAQ entries have no example questions")
    return texts, np.asarray(labels, dtype=np.int64), class_ids, np.asarray(named, dtype=bool)


def folds(labels: np.ndarray, n_folds: int, fixed: np.ndarray | None = None) -> np.ndarray:
    """Deterministic stratified fold number per example (round robin within a class);
    ``fixed`` rows get -1: always trained on, never held out."""
    fold = np.full(len(labels), -1, dtype=np.int64)
    free = np.ones(len(labels), dtype=bool) if fixed is None else ~fixed
    rng = np.random.default_rng(0)
    for cls in np.unique(labels):
        idx = np.flatnonzero((labels == cls) & free)
        idx = idx[rng.permutation(len(idx))]
        fold[idx] = np.arange(len(idx)) % n_folds
    return fold


def build_index(
    texts: list[str], labels: np.ndarray, n_classes: int, bg: int, progress: Progress | None,
    embedder: str | None = None, fixed: np.ndarray | None = None,
) -> Index:
    """Out-of-fold predictions → calibrator, label-noise estimate and threshold; then
    the final model on every example not judged mislabelled."""
    total = _N_FOLDS + 1
    if progress:
        progress(0, total)  # a build starts (a cached index never calls): the caller can say so
    # Embed every example once; folds and the final model share the vectors.
    tok_ids, emb = tokens_and_vectors(embedder, texts) if embedder else (None, None)
    counted = FoldFeatures(texts)  # n-gram counts once, not once per fold
    fold = folds(labels, _N_FOLDS, fixed)
    feats: list[np.ndarray] = []
    correct: list[int] = []
    rows: list[int] = []
    predicted: list[int] = []
    for f in range(_N_FOLDS):
        train, held = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
        if len(held) and len(np.unique(labels[train])) >= 2:
            train_rows, held_rows, words = counted.fold(train, held)
            model = Model([texts[i] for i in train], labels[train], n_classes,
                           None if emb is None else emb[train], embedder,
                           None if tok_ids is None else [tok_ids[i] for i in train], fold=(train_rows, words))
            held_scores = model.scores([texts[i] for i in held], None if emb is None else emb[held],
                                       None if tok_ids is None else [tok_ids[i] for i in held], feats=held_rows)
            for i, s in zip(held, held_scores):
                best = best_entry(s, bg) if bg >= 0 else int(np.argmax(s.decision))
                feats.append(candidate_features(s, best))
                correct.append(int(best == labels[i]))  # background rows are never correct
                rows.append(int(i))
                predicted.append(best)
            # one fold model alive at a time, its scratch handed back: the build's peak is
            # what a first `walletdesk run` shows
            del model, held_scores, train_rows, held_rows
            release_freed_heap()
        if progress:
            progress(f + 1, total)
    del counted
    calibrator = Calibrator()
    threshold = DEFAULT_THRESHOLD
    keep = np.ones(len(texts), dtype=bool)
    if feats:
        x, y = np.vstack(feats), np.asarray(correct)
        calibrator.fit(x, y)
        conf = calibrator.predict(x)
        # Chatter has no label to get wrong: a confident entry for it is the model's mistake.
        entry_rows = labels[np.asarray(rows)] != bg
        noise = label_noise(conf[entry_rows], y[entry_rows])
        threshold = learn_threshold(conf, y, noise)
        if noise:
            suspect = mislabelled(np.asarray(rows), np.asarray(predicted), conf, labels, bg, noise)
            keep[np.asarray(rows)[suspect]] = False
            _LOGGER.warning("FAQ examples look mislabelled (~%.0f%% wrong labels): %d confidently "
                            "contradicted examples left out", 100 * noise, int(suspect.sum()))
    if not keep.all():  # copies only when something was left out
        kept = np.flatnonzero(keep)
        texts, labels = [texts[i] for i in kept], labels[kept]
        emb = None if emb is None else emb[kept]
        tok_ids = None if tok_ids is None else [tok_ids[i] for i in kept]
    model = Model(texts, labels, n_classes, emb, embedder, tok_ids)
    model.freeze()
    if progress:
        progress(total, total)
    return model, calibrator, threshold


def cache_key(texts: Sequence[str], labels: np.ndarray, embedder: str | None, named: np.ndarray) -> str:
    digest = hashlib.sha256(f"{_INDEX_VERSION}\x1d{embedder}\x1d".encode())
    for text, label, is_name in zip(texts, labels.tolist(), named.tolist()):
        digest.update(f"{label}\x1f{int(is_name)}\x1f{text}\x1e".encode())
    return digest.hexdigest()[:32]


def load_cached(cache_dir: Path | None, key: str) -> Index | None:
    if cache_dir is None:
        return None
    path = Path(cache_dir) / f"faq-index-{key}.pkl"
    if not path.exists():
        return None
    try:
        with path.open("rb") as fh:
            state = pickle.load(fh)  # our own cache directory, written by save_cached
    except Exception:  # a corrupt or incompatible cache is rebuilt, never fatal
        _LOGGER.warning("ignoring unreadable FAQ index cache %s", path, exc_info=True)
        return None
    if not (isinstance(state, tuple) and len(state) == 3 and isinstance(state[0], Model)
            and isinstance(state[1], Calibrator) and isinstance(state[2], float)):
        _LOGGER.warning("ignoring FAQ index cache %s: not an index of this version", path)
        return None
    return state


def save_cached(cache_dir: Path | None, key: str, state: Index) -> None:
    if cache_dir is None:
        return
    try:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        path = Path(cache_dir) / f"faq-index-{key}.pkl"
        tmp = path.with_suffix(f".{os.getpid()}.tmp")  # workers sharing a data dir may build at once
        with tmp.open("wb") as fh:
            pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)  # atomic: a reader never sees half a file
    except OSError:
        _LOGGER.warning("could not write FAQ index cache in %s", cache_dir, exc_info=True)
