"""The web app: server-rendered GOV.UK Design System pages for the people who run the model.

It holds no case data of its own: every page calls the four services' APIs with the
signed-in person's token, and the APIs decide what that person may see and do.
"""
