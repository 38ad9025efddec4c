"""Handlers behind the HTTP fuzz server: one that finishes at once, one that waits for a
callback."""

from durable_lambda import durable_execution


@durable_execution
def quick(event, context):
    return {"n": context.step(lambda _: 1, name="one")}


@durable_execution
def waits(event, context):
    return context.wait_for_callback(lambda callback_id, ctx: None, name="approval")


def plain(event, context):
    return {"echo": event}
