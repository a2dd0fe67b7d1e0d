"""Dataset kind and column-role detection from headers (English, Russian, Chinese) and types."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# role -> header synonyms, normalised (lower case, single spaces, no punctuation but %)
ROLE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "date": ("date", "day", "дата", "день", "日期", "日期时间", "时间", "日"),
    "timestamp": ("timestamp", "time", "event time", "event timestamp", "datetime", "created at", "event date",
                  "order date", "invoicedate", "invoice date", "order time", "order datetime", "purchase date",
                  "purchase time", "transaction date", "date", "время", "дата", "дата заказа", "время заказа",
                  "время события", "дата и время", "дата события", "时间", "时间戳", "日期", "下单时间", "事件时间",
                  "订单时间", "支付时间", "日期时间"),
    "post_time": ("post time", "publish time", "video publish time", "published", "published at", "posted at",
                  "publish date", "post date", "время публикации", "дата публикации", "发布时间", "发布日期"),
    "views": ("video views", "views", "total views", "plays", "video plays", "просмотры", "просмотров",
              "просмотры видео", "播放量", "观看次数", "浏览量", "视频播放量", "播放次数"),
    "profile_views": ("profile views", "visits", "profile visits", "просмотры профиля", "посещения профиля",
                      "主页访问", "主页访问量", "主页浏览量"),
    "likes": ("likes", "total likes", "reactions", "лайки", "отметки нравится", "нравится", "点赞", "点赞数",
              "点赞量", "喜欢"),
    "comments": ("comments", "total comments", "comments added", "комментарии", "评论", "评论数", "评论量"),
    "shares": ("shares", "total shares", "репосты", "поделились", "分享", "分享数", "分享次数", "转发", "转发数"),
    "saves": ("saves", "total bookmarks", "bookmarks", "favorites", "сохранения", "в избранном", "收藏", "收藏数",
              "收藏量"),
    "followers": ("followers", "subscribers", "total followers", "подписчики", "粉丝", "粉丝数", "粉丝总数", "关注者"),
    "new_followers": ("new followers", "difference in followers from previous day", "net growth", "subscribers gained",
                      "follows", "followers gained", "новые подписчики", "прирост подписчиков", "新增粉丝",
                      "净增粉丝", "新增关注"),
    "title": ("video title", "title", "description", "caption", "post title", "название", "заголовок", "описание",
              "标题", "视频标题", "作品名称", "描述"),
    "link": ("video link", "link", "permalink", "url", "post link", "ссылка", "链接", "视频链接"),
    "watch_time": ("watch time (hours)", "watch time", "average watch time", "total watch time", "total play time",
                   "время просмотра", "观看时长", "总播放时长"),
    "duration": ("duration", "duration (sec)", "video duration", "длительность", "продолжительность", "时长",
                 "视频时长"),
    "format": ("post type", "format", "content type", "media type", "тип", "тип публикации", "формат", "类型",
               "内容类型"),
    "user_id": ("user id", "user_id", "userid", "uid", "distinct id", "user pseudo id", "user", "пользователь",
                "id пользователя", "ид пользователя", "用户id", "用户", "用户编号"),
    "event": ("event", "event name", "event_name", "event type", "action", "событие", "действие", "тип события",
              "事件", "事件名称", "事件类型", "行为"),
    "channel": ("channel", "source", "utm source", "acquisition channel", "traffic source", "medium", "канал",
                "источник", "渠道", "来源", "推广渠道"),
    "device": ("device", "platform", "os", "device category", "device type", "устройство", "платформа", "设备",
               "平台", "设备类型"),
    "region": ("region", "country", "territory", "top territories", "city", "geo", "регион", "страна", "город",
               "地区", "国家", "城市", "省份"),
    "revenue": ("revenue", "value", "purchase revenue", "выручка", "доход", "收入", "сумма", "金额"),
    "order_id": ("order id", "order_id", "order", "order number", "invoiceno", "invoice no", "invoice",
                 "invoice number", "номер заказа", "заказ", "№ заказа", "订单号", "订单id", "订单编号"),
    "customer_id": ("customer id", "customer_id", "customerid", "customer", "client", "client id", "buyer",
                    "клиент", "id клиента", "покупатель", "客户", "客户id", "用户id", "买家", "买家id", "会员id"),
    "amount": ("amount", "total", "order total", "order amount", "sum", "revenue", "sales", "gmv", "price total",
               "сумма", "сумма заказа", "стоимость", "金额", "订单金额", "实付金额", "支付金额", "销售额"),
    "quantity": ("quantity", "qty", "количество", "кол во", "数量", "件数"),
    "unit_price": ("unitprice", "unit price", "price", "цена", "цена за единицу", "单价", "价格"),
    "status": ("status", "order status", "статус", "статус заказа", "состояние", "状态", "订单状态"),
    "coupon": ("coupon", "promo", "promo code", "coupon code", "discount code", "купон", "промокод", "优惠券",
               "优惠码"),
    "signup_time": ("signup time", "signup date", "sign up date", "registered at", "registration date",
                    "created at", "дата регистрации", "注册时间", "注册日期"),
    "cost": ("cost", "spend", "amount spent", "ad spend", "amount spent (usd)", "расход", "расходы", "затраты",
             "花费", "消耗", "成本", "广告花费"),
    "ticket_id": ("ticket id", "ticket_id", "ticket", "id", "номер обращения", "工单号", "工单id"),
    "created": ("created", "created at", "created_at", "opened", "opened at", "создано", "дата создания",
                "创建时间"),
    "first_response": ("first response", "first response at", "first_response_at", "first reply at",
                       "первый ответ", "首次响应时间", "首次回复时间"),
    "resolved": ("resolved", "resolved at", "resolved_at", "closed at", "solved at", "решено", "закрыто",
                 "解决时间", "关闭时间"),
    "agent": ("agent", "assignee", "operator", "оператор", "агент", "客服", "处理人"),
    "step": ("step", "stage", "funnel step", "шаг", "этап", "步骤", "环节"),
    "users": ("users", "count", "visitors", "пользователи", "пользователей", "用户数", "人数"),
    "segment": ("segment", "сегмент", "分组", "细分"),
    "impressions": ("impressions", "reach", "reached audience", "показы", "охват", "曝光", "曝光量", "展示量",
                    "展现量"),
    "clicks": ("clicks", "link clicks", "website clicks", "клики", "переходы", "点击", "点击量"),
    "conversions": ("conversions", "leads", "конверсии", "лиды", "转化", "转化数"),
    "hour": ("hour", "час", "小时", "时段"),
    "active_followers": ("active followers", "активные подписчики", "活跃粉丝", "活跃粉丝数"),
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
             ("profile_views", "likes", "comments", "shares", "followers", "new_followers"),
             ("profile_views", "followers", "new_followers")),
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
ALT_REQUIRED = {"social_daily": (("date", "followers"), ("date", "new_followers"))}


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


# Words that turn a metric into another one: such headers only match a role exactly.
QUALIFIERS = ("lost", "new", "net", "active", "average", "avg", "unique", "returning", "rate", "per", "change",
              "difference", "growth", "gained", "share", "%", "потерянные", "отписки", "новые", "средн", "доля",
              "流失", "取关", "新增", "平均", "活跃", "率")


def _qualified(normalised_header: str) -> bool:
    words = set(normalised_header.replace("(", " ").replace(")", " ").split())
    return any((q in words) if q.isascii() else (q in normalised_header) for q in QUALIFIERS)


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
    # loose matches: synonym contained in header (e.g. "Сумма, руб"), unless a qualifier changes
    # its meaning ("Lost followers" are not followers, "Average views" are not views)
    for role in roles:
        if role in out:
            continue
        for name, n, dtype in norm:
            if name in taken or not _role_fits(role, dtype) or _qualified(n):
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


def role_sql_type(role: str) -> str:
    """The SQL type of a role's column in the canonical views."""
    if role in DATE_ROLES:
        return "DATE"
    if role in TIME_ROLES:
        return "TIMESTAMP"
    if role in MEASURE_ROLES:
        return "DOUBLE"
    return "VARCHAR"
