"""Permissions this app grants to the staff roles of exchange.accounts.roles (merged there).

业务审核 (project managers) run the first approval step and may enter projects for a seller;
部门经理 run the final step and the disclosure actions (延牌/中止/恢复/终结/重新挂牌);
运营 and 文案 publish clarification and Q&A notices and moderate the roadshow; 客服 answer
questions. 监管 sees everything through its automatic view_* permissions.
"""

_VIEW = (
    "listings.view_project",
    "listings.view_attachment",
    "listings.view_projectreview",
    "listings.view_projectchange",
    "listings.view_notice",
    "listings.view_question",
    "listings.view_answer",
)

GRANTS: dict[str, tuple[str, ...]] = {
    "reviewer": (
        *_VIEW,
        "listings.add_project",
        "listings.change_project",
        "listings.review_initial",
        "listings.answer_question",
        "listings.view_follow",
    ),
    "manager": (
        *_VIEW,
        "listings.change_project",
        "listings.review_final",
        "listings.manage_disclosure",
        "listings.import_project",
        "listings.publish_notice",
        "listings.moderate_question",
        "listings.answer_question",
        "listings.view_follow",
    ),
    "operations": (
        *_VIEW,
        "listings.import_project",
        "listings.add_project",
        "listings.publish_notice",
        "listings.change_notice",
        "listings.moderate_question",
        "listings.change_question",
    ),
    "copywriter": (
        "listings.view_project",
        "listings.view_notice",
        "listings.change_notice",
        "listings.publish_notice",
        "listings.view_question",
        "listings.view_answer",
    ),
    "service": (
        "listings.view_project",
        "listings.view_notice",
        "listings.view_question",
        "listings.view_answer",
        "listings.moderate_question",
        "listings.answer_question",
    ),
    "promotion": ("listings.view_project", "listings.view_notice"),
    "finance": ("listings.view_project",),
}
