"""Dataset kind and column-role detection from headers (English, Russian, Chinese) and types."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# role -> header synonyms, normalised (lower case, single spaces, no punctuation but %)
ROLE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "date": ("date", "day", "дата", "день", "日期", "时间", "日期时间"),
    "timestamp": ("timestamp", "time", "event time", "event timestamp", "datetime", "created at", "event date",
                  "order date", "invoicedate", "invoice date", "order time", "date", "время", "дата", "дата заказа",
                  "время события", "时间", "时间戳", "日期", "下单时间", "事件时间"),
    "post_time": ("post time", "publish time", "video publish time", "published", "published at", "posted at",
                  "время публикации", "дата публикации", "发布时间", "发布日期"),
    "views": ("video views", "views", "total views", "plays", "просмотры", "просмотров", "播放量", "观看次数", "浏览量"),
    "profile_views": ("profile views", "visits", "profile visits", "просмотры профиля", "посещения профиля", "主页访问", "主页访问量"),
    "likes": ("likes", "total likes", "лайки", "отметки нравится", "点赞", "点赞数", "点赞量"),
    "comments": ("comments", "total comments", "comments added", "комментарии", "评论", "评论数"),
    "shares": ("shares", "total shares", "репосты", "поделились", "分享", "分享数", "转发"),
    "saves": ("saves", "total bookmarks", "bookmarks", "сохранения", "收藏", "收藏数"),
    "followers": ("followers", "subscribers", "total followers", "подписчики", "粉丝", "粉丝数", "关注者"),
    "new_followers": ("new followers", "difference in followers from previous day", "net growth", "subscribers gained",
                      "follows", "новые подписчики", "прирост подписчиков", "新增粉丝", "净增粉丝"),
    "title": ("video title", "title", "description", "название", "заголовок", "описание", "标题", "视频标题"),
    "link": ("video link", "link", "permalink", "url", "ссылка", "链接"),
    "watch_time": ("watch time (hours)", "watch time", "average watch time", "время просмотра", "观看时长"),
    "duration": ("duration", "duration (sec)", "длительность", "时长"),
    "format": ("post type", "format", "content type", "тип", "формат", "类型", "内容类型"),
    "user_id": ("user id", "user_id", "userid", "uid", "distinct id", "user", "пользователь", "id пользователя",
                "用户id", "用户", "用户编号"),
    "event": ("event", "event name", "event_name", "action", "событие", "действие", "事件", "事件名称", "行为"),
    "channel": ("channel", "source", "utm source", "acquisition channel", "traffic source", "канал", "источник",
                "渠道", "来源"),
    "device": ("device", "platform", "os", "устройство", "платформа", "设备", "平台"),
    "region": ("region", "country", "territory", "city", "регион", "страна", "город", "地区", "国家", "城市"),
    "revenue": ("revenue", "value", "выручка", "доход", "收入"),
    "order_id": ("order id", "order_id", "order", "invoiceno", "invoice no", "invoice", "номер заказа", "заказ",
                 "订单号", "订单id", "订单编号"),
    "customer_id": ("customer id", "customer_id", "customerid", "customer", "client", "client id", "клиент",
                    "id клиента", "покупатель", "客户", "客户id", "用户id", "买家"),
    "amount": ("amount", "total", "order total", "sum", "revenue", "price total", "сумма", "стоимость", "金额",
               "订单金额", "实付金额"),
    "quantity": ("quantity", "qty", "количество", "数量"),
    "unit_price": ("unitprice", "unit price", "price", "цена", "单价"),
    "status": ("status", "order status", "статус", "状态", "订单状态"),
    "coupon": ("coupon", "promo", "promo code", "coupon code", "discount code", "купон", "промокод", "优惠券"),
    "signup_time": ("signup time", "signup date", "sign up date", "registered at", "registration date",
                    "created at", "дата регистрации", "注册时间", "注册日期"),
    "cost": ("cost", "spend", "amount spent", "ad spend", "расход", "расходы", "затраты", "花费", "消耗", "成本"),
    "ticket_id": ("ticket id", "ticket_id", "ticket", "id", "номер обращения", "工单号", "工单id"),
    "created": ("created", "created at", "created_at", "opened", "opened at", "создано", "дата создания", "创建时间"),
    "first_response": ("first response", "first response at", "first_response_at", "first reply at",
                       "первый ответ", "首次响应时间", "首次回复时间"),
    "resolved": ("resolved", "resolved at", "resolved_at", "closed at", "solved at", "решено", "закрыто",
                 "解决时间", "关闭时间"),
    "agent": ("agent", "assignee", "operator", "оператор", "агент", "客服", "处理人"),
    "step": ("step", "stage", "funnel step", "шаг", "этап", "步骤", "环节"),
    "users": ("users", "count", "visitors", "пользователи", "пользователей", "用户数", "人数"),
    "segment": ("segment", "сегмент", "分组", "细分"),
    "impressions": ("impressions", "reach", "показы", "охват", "曝光", "曝光量", "展示量"),
    "clicks": ("clicks", "link clicks", "website clicks", "клики", "点击", "点击量"),
    "conversions": ("conversions", "leads", "конверсии", "лиды", "转化", "转化数"),
    "hour": ("hour", "час", "小时"),
    "active_followers": ("active followers", "активные подписчики", "活跃粉丝"),
}

TIME_ROLES = {"date", "timestamp", "post_time", "signup_time", "created", "first_response", "resolved"}
DATE_ROLES = {"date"}
MEASURE_ROLES = {"views", "profile_views", "likes", "comments", "shares", "saves", "followers", "new_followers",
                 "watch_time", "duration", "revenue", "amount", "quantity", "unit_price", "cost", "users",
                 "impressions", "clicks", "conversions", "hour", "active_followers"}


@dataclass(frozen=True)
class KindSpec:
    kind: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    # roles whose presence is characteristic of the kind (tie-breakers)
    signature: tuple[str, ...] = ()


KINDS: tuple[KindSpec, ...] = (
    KindSpec("events", ("user_id", "timestamp", "event"), ("channel", "device", "region", "revenue"), ("event",)),
    KindSpec("orders", ("timestamp", "amount"),
             ("order_id", "customer_id", "status", "channel", "coupon", "quantity", "unit_price"),
             ("order_id", "customer_id", "unit_price", "status")),
    KindSpec("social_posts", ("post_time", "views"),
             ("title", "link", "likes", "comments", "shares", "saves", "watch_time", "duration", "format"),
             ("title", "link")),
    KindSpec("social_daily", ("date", "views"),
             ("profile_views", "likes", "comments", "shares", "followers", "new_followers"), ()),
    KindSpec("followers_activity", ("date", "hour", "active_followers"), (), ("active_followers",)),
    KindSpec("tickets", ("created",), ("ticket_id", "first_response", "resolved", "agent", "channel"),
             ("first_response", "resolved", "agent")),
    KindSpec("spend", ("date", "cost"), ("channel",), ("cost",)),
    KindSpec("users", ("user_id", "signup_time"), ("channel",), ("signup_time",)),
    KindSpec("funnel_counts", ("step", "users"), ("segment",), ("step",)),
    KindSpec("content", ("impressions",), ("title", "clicks", "likes", "comments", "shares", "conversions"),
             ("impressions", "clicks")),
)
KIND_NAMES = tuple(k.kind for k in KINDS)
SPEC_BY_KIND = {k.kind: k for k in KINDS}

# social_daily may hold only followers (FollowerHistory.csv): date + followers is enough.
ALT_REQUIRED = {"social_daily": (("date", "followers"),)}


def normalise(header: str) -> str:
    h = header.replace("\ufeff", "").strip().lower()
    h = re.sub(r"[_\-\.]+", " ", h)
    h = re.sub(r"[\"'`:]+", "", h)
    h = re.sub(r"\s+", " ", h)
    return h.strip()


@dataclass
class Detection:
    kind: str | None
    roles: dict[str, str]
    score: float
    candidates: dict[str, list[str]] = field(default_factory=dict)  # missing required role -> columns


def _is_time(dtype: str) -> bool:
    d = dtype.upper()
    return d.startswith("TIMESTAMP") or d == "DATE"


def _is_number(dtype: str) -> bool:
    d = dtype.upper()
    return any(d.startswith(p) for p in ("INT", "BIGINT", "DOUBLE", "FLOAT", "DECIMAL", "HUGEINT", "SMALLINT",
                                         "TINYINT", "UBIGINT", "UINTEGER", "REAL"))


def _role_fits(role: str, dtype: str) -> bool:
    if role in TIME_ROLES:
        return _is_time(dtype)
    if role in MEASURE_ROLES:
        return _is_number(dtype)
    return True


def match_roles(columns: list[tuple[str, str]], roles: tuple[str, ...]) -> dict[str, str]:
    """Best column for each role, by synonym rank and type fit; a column serves one role only."""
    norm = [(name, normalise(name), dtype) for name, dtype in columns]
    taken: set[str] = set()
    out: dict[str, str] = {}
    # exact matches first, earlier synonyms win; then roles in the order given
    pairs: list[tuple[int, int, str, str]] = []
    for ri, role in enumerate(roles):
        syns = ROLE_SYNONYMS.get(role, (role,))
        for name, n, dtype in norm:
            if n in syns and _role_fits(role, dtype):
                pairs.append((syns.index(n), ri, role, name))
    for _, _, role, name in sorted(pairs):
        if role in out or name in taken:
            continue
        out[role] = name
        taken.add(name)
    # loose matches: synonym contained in header (e.g. "Сумма, руб")
    for role in roles:
        if role in out:
            continue
        for name, n, dtype in norm:
            if name in taken or not _role_fits(role, dtype):
                continue
            if any(len(s) >= 3 and (n.startswith(s + " ") or n.endswith(" " + s) or
                                    (not s.isascii() and s in n)) for s in ROLE_SYNONYMS.get(role, ())):
                out[role] = name
                taken.add(name)
                break
    return out


def detect(columns: list[tuple[str, str]]) -> Detection:
    """Pick the dataset kind and role mapping for a table's (name, type) columns."""
    best = Detection(None, {}, 0.0)
    for spec in KINDS:
        roles = match_roles(columns, spec.required + spec.optional)
        if spec.kind == "orders" and "amount" not in roles and {"quantity", "unit_price"} <= roles.keys():
            roles_ok = all(r in roles for r in spec.required if r != "amount")
        else:
            roles_ok = all(r in roles for r in spec.required)
        if not roles_ok:
            for alt in ALT_REQUIRED.get(spec.kind, ()):
                if all(r in roles for r in alt):
                    roles_ok = True
        n_req = len(spec.required)
        matched = len(roles)
        score = matched + 2 * sum(1 for r in spec.signature if r in roles)
        if roles_ok:
            score += 10 + n_req
        else:
            score = score / 10
        if score > best.score:
            best = Detection(spec.kind if roles_ok else None, roles, score)
    if best.kind is None:
        best.roles = {}
    return best


def candidates_for(role: str, columns: list[tuple[str, str]]) -> list[str]:
    """Columns whose type could serve a role, for the 'missing role' message."""
    return [name for name, dtype in columns if _role_fits(role, dtype)][:5]


def missing_required(kind: str, roles: dict[str, str]) -> list[str]:
    spec = SPEC_BY_KIND[kind]
    missing = [r for r in spec.required if r not in roles]
    if kind == "orders" and "amount" in missing and {"quantity", "unit_price"} <= roles.keys():
        missing.remove("amount")
    for alt in ALT_REQUIRED.get(kind, ()):
        if all(r in roles for r in alt):
            return []
    return missing
