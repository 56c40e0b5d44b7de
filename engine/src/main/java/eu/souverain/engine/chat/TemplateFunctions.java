package eu.souverain.engine.chat;

import java.time.ZonedDateTime;

/** The global functions that Hugging Face's chat-template environment gives templates. */
final class TemplateFunctions {

    private TemplateFunctions() {}

    /** raise_exception(message): the template rejects the conversation; the message is the template's own. */
    static String raiseException(Object message) {
        throw new ChatTemplateException(String.valueOf(message));
    }

    /** strftime_now(format): the current date and time of the render's clock, formatted as Python's strftime. */
    static String strftimeNow(Object format) {
        return PythonStrftime.format(ZonedDateTime.now(JinjaEnvironment.currentClock()), String.valueOf(format));
    }
}
