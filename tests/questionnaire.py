"""A questionnaire plugin for the dialog tests: three questions, one multiple-choice.

``!survey`` asks all three at once: the core sends them one at a time, each
after the answer to the one before. Answers are kept in ``answers`` as
``(community, member id, question key, answer)``.
"""

from __future__ import annotations

from typing import Any

from hearth import Answer, Command, Invocation, Member, PluginConfig, PluginContext, Role, hookimpl

QUESTIONS: list[tuple[str, str, list[str] | None, bool]] = [
    ("work", "What do you do for a living?", None, False),
    ("tea", "Which tea do you drink most?", ["Green", "Black", "Oolong"], False),
    ("hobbies", "What do you enjoy?", ["Hiking", "Reading", "Cooking", "Music"], True),
]


class Questionnaire:
    """``!survey`` asks the questionnaire; ``!unsurvey`` withdraws what is unanswered."""

    def __init__(self, name: str = "survey") -> None:
        self.name = name
        self.answers: list[tuple[str, str, str, Answer]] = []

    @hookimpl
    def register_config_schema(self) -> type[PluginConfig]:
        return PluginConfig

    @hookimpl
    def register_commands(self) -> list[Command]:
        async def survey(inv: Invocation) -> None:
            await ask_all(inv.ctx, inv.member)

        async def unsurvey(inv: Invocation) -> str:
            dropped = await inv.ctx.cancel_questions(inv.member, [q[0] for q in QUESTIONS])
            return f"withdrew {dropped}"

        return [Command(name=self.name, handler=survey, min_role=Role.NEWCOMER, help="questionnaire"),
                Command(name=f"un{self.name}", handler=unsurvey, min_role=Role.NEWCOMER,
                        help="withdraw it")]

    @hookimpl
    async def on_answer(self, ctx: PluginContext, member: Member, question_key: str,
                        answer: Answer, data: dict[str, Any]) -> None:
        assert data == {"survey": self.name}
        self.answers.append((ctx.key, member.id, question_key, answer))


async def ask_all(ctx: PluginContext, member: Member) -> None:
    for key, text, choices, multiple in QUESTIONS:
        await ctx.ask(member, text, choices, multiple, key=key, data={"survey": ctx.plugin})
