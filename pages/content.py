"""Content: what to post more of and when (social_posts data, plus follower activity and daily followers)."""
from __future__ import annotations

import streamlit as st

from data.content import load_content, posts_datasets
from kpi.content import ContentConfig, analyse
from ui.charts import content as ch
from ui.charts import show
from ui.state import date_filter, grain, lang, t, workspace
from ui.widgets import empty_state

st.title(t("page.content.title"))
st.caption(t("page.content.subtitle"))
if not empty_state("content", ("social_posts",), ("tiktok",)):
    st.stop()

ws = workspace()
L = lang()
choices = posts_datasets(ws)
if not choices:  # social_posts loaded but without a post time or views column mapped
    st.warning(t("content.needs_roles"), icon=":material/warning:")
    st.page_link("pages/load.py", label=t("page.load.title"), icon=":material/upload_file:")
    st.stop()

head, settings = st.columns([4, 1], vertical_alignment="bottom")
picked = choices[0].name
if len(choices) > 1:
    picked = head.selectbox(t("content.dataset_pick"), [d.name for d in choices], key="content_dataset",
                            format_func=lambda n: next(d.label for d in choices if d.name == n))
with settings, st.popover(t("content.settings"), icon=":material/tune:", width="stretch"):
    min_posts = st.number_input(t("content.min_posts"), min_value=2, max_value=50, value=3, step=1,
                                key="content_min_posts", help=t("content.min_posts_help"))
config = ContentConfig(min_posts=int(min_posts))

data = load_content(ws, picked, date_filter(), grain(), config)
if data is None:
    st.stop()
if data.range is None:
    st.info(t("content.no_posts_in_range"), icon=":material/event_busy:")
    st.stop()
audit = analyse(data.inputs, config)
o = audit.overall

head.caption(t("content.range", posts=ch.fmt_int(o.posts, L), first=f"{data.range[0]:%Y-%m-%d}",
               last=f"{data.range[1]:%Y-%m-%d}", file=data.dataset.label))
if data.skipped:
    st.warning(t("content.skipped", n=ch.fmt_int(data.skipped, L)), icon=":material/warning:")

# ---- headline numbers -----------------------------------------------------------------------------
m1, m2, m3, m4 = st.columns(4)
m1.metric(t("content.metric.posts"), ch.fmt_int(o.posts, L))
m2.metric(t("content.metric.median_views"), ch.fmt_int(o.median_views, L), help=t("content.median_help"))
m3.metric(t("content.metric.er"), ch.fmt_pct(o.engagement_rate.value, L), help=t("content.er_help"))
m4.metric(t("content.metric.posts_per_week"), ch.fmt_num(o.posts_per_week, L))
if o.engagement_rate.value is None:
    st.caption(t(f"content.er_none.{o.engagement_rate.reason}"))

# ---- findings: the one-screen answer --------------------------------------------------------------
with st.container(border=True):
    st.markdown(f"#### :material/lightbulb: {t('content.findings_title')}")
    if audit.findings:
        st.markdown("\n".join(f"{i}. {ch.finding_text(f, L, markdown=True)}"
                              for i, f in enumerate(audit.findings, start=1)))
        if len(audit.findings) < 3:
            st.caption(t("content.few_findings", min_posts=config.min_posts))
    else:
        st.info(t("content.no_findings", posts=o.posts, min_posts=config.min_posts), icon=":material/hourglass:")

# ---- best and worst posts -------------------------------------------------------------------------
st.subheader(t("content.posts_title"))
columns = {
    "post_time": st.column_config.DatetimeColumn(t("content.col.post_time"), format="YYYY-MM-DD HH:mm"),
    "title": st.column_config.TextColumn(t("content.col.title"), width="large"),
    "link": st.column_config.LinkColumn(t("content.col.link"), display_text=t("content.col.open"), width="small"),
    "views": st.column_config.NumberColumn(t("content.col.views"), format="localized"),
    "er": st.column_config.NumberColumn(t("content.col.er"), format="%.1f%%"),
}
order = [c for c in columns if c != "link" or "link" in data.roles]
r = audit.ranking
tabs = st.tabs([t("content.tab.top_views"), t("content.tab.bottom_views"), t("content.tab.top_er"),
                t("content.tab.bottom_er")])
for tab, rows in zip(tabs, (r.top_views, r.bottom_views, r.top_engagement, r.bottom_engagement)):
    with tab:
        if rows:
            st.dataframe(ch.post_rows(rows, L), hide_index=True, column_config=columns, column_order=order)
        else:
            st.caption(t("content.er_none_posts"))
notes = [t("content.recent_note")]
if r.without_rate and data.inputs.has_interactions:
    notes.append(t("content.er_excluded", n=r.without_rate))
if "link" not in data.roles:
    notes.append(t("content.no_links"))
st.caption(ch.join_sentences(notes, L))

# ---- topics ---------------------------------------------------------------------------------------
st.subheader(t("content.topics_title"))
if "title" not in data.roles:
    st.info(t("content.topics_no_title"), icon=":material/info:")
elif not audit.topics:
    st.info(t("content.topics_none", min_posts=config.min_posts), icon=":material/info:")
else:
    show.altair(st, ch.groups_chart, audit.topics, o.median_views, L)
    st.caption(t("content.topics_caption", median=ch.fmt_int(o.median_views, L), min_posts=config.min_posts))
    with st.expander(t("content.topics_table", n=len(audit.topics))):
        st.dataframe(ch.topic_rows(audit.topics, L), hide_index=True, column_config={
            "topic": st.column_config.TextColumn(t("content.col.topic")),
            "kind": st.column_config.TextColumn(t("content.col.kind")),
            "posts": st.column_config.NumberColumn(t("content.col.posts")),
            "median": st.column_config.NumberColumn(t("content.col.median_views"), format="localized"),
            "lift": st.column_config.NumberColumn(t("content.col.vs_median"), format="%.2f×"),
            "er": st.column_config.NumberColumn(t("content.col.er"), format="%.1f%%"),
        })

for title_key, what_key, groups, in_order in (
        ("content.formats_title", "content.col.format", audit.formats, False),
        ("content.durations_title", "content.col.length", audit.durations, True)):
    if groups:
        st.subheader(t(title_key))
        show.altair(st, ch.groups_chart, groups, o.median_views, L, keep_order=in_order)
        st.caption(t("content.shape_caption", what=t(what_key).lower()))

# ---- when to post ---------------------------------------------------------------------------------
st.subheader(t("content.when_title"))
# the any-day window first; a weekday/weekend window only when it differs from it
any_day = [w for w in audit.windows if w.days == "all"]
shown = any_day + [w for w in audit.windows if w.days != "all" and all(w.start != a.start for a in any_day)]
if shown:
    st.markdown(t("content.windows_label", hours=config.window_hours, min_posts=config.min_posts) + "\n" + "\n".join(
        "- " + t("content.window_item", days=ch.days_label(w.days, L), start=ch.fmt_hour(w.start),
                 end=ch.fmt_hour(w.end), lift=ch.fmt_num(w.lift, L), posts=w.posts) for w in shown))
else:
    st.caption(t("content.windows_none", hours=config.window_hours, min_posts=config.min_posts))
show.altair(st, ch.heatmap_chart, data.heatmap, L)
st.caption(t("content.heatmap_caption"))
st.markdown(f"**{t('content.followers_title')}**")
if data.inputs.follower_hours is not None:
    peak = audit.follower_peak
    show.altair(st, ch.followers_chart, data.inputs.follower_hours, peak, L, config.window_hours)
    if peak is not None:
        st.markdown(t("content.followers_peak", start=ch.fmt_hour(peak.start), end=ch.fmt_hour(peak.end),
                      share=ch.fmt_pct(peak.posts_share, L, 0)))
    if data.follower_dates:
        first, last, days = data.follower_dates
        st.caption(t("content.followers_caption", days=days, first=f"{first:%Y-%m-%d}", last=f"{last:%Y-%m-%d}",
                     hours=config.window_hours))
else:
    st.info(t("content.followers_missing"), icon=":material/schedule:")

# ---- cadence --------------------------------------------------------------------------------------
st.subheader(t("content.cadence_title"))
g = grain()
per = t(f"content.per.{g}")
cad = data.cadence
views_col = "account_views" if cad["account_views"].notna().any() else "post_views"
has_followers = cad["new_followers"].notna().any()
c1, c2, c3 = st.columns(3)
show.altair(c1, ch.cadence_chart, cad, "posts", t("content.chart.posts", per=per), L)
show.altair(c2, ch.cadence_chart, cad, views_col, t(f"content.chart.{views_col}", per=per), L, ch.MUTED_DARK)
if has_followers:
    show.altair(c3, ch.cadence_chart, cad, "new_followers", t("content.chart.new_followers", per=per), L, ch.GREEN)
else:
    c3.info(t("content.followers_none_cadence"), icon=":material/group_add:")
source = data.views_source
st.caption(ch.join_sentences([t("content.cadence_caption", period=t(f"content.period.{g}")),
                               t("content.views_source.account", file=source)
                               if views_col == "account_views" and source else t("content.views_source.posts")], L))

st.divider()
st.caption(t("content.definition", min_posts=config.min_posts))
