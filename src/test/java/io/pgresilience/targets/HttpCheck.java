package io.pgresilience.targets;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** One probe of a gateway that is starting: does the URL answer 200 now? Not yet listening is simply "no". */
public final class HttpCheck {

    private HttpCheck() {
    }

    /** What the URL answers now, in a few words: its status and the start of its body, or why nothing came. */
    public static String answer(HttpClient http, HttpRequest request) {
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            String body = r.body() == null ? "" : r.body().strip().replaceAll("\\s+", " ");
            return r.statusCode() + (body.isEmpty() ? "" : " " + (body.length() > 160 ? body.substring(0, 160) + "…" : body));
        } catch (IOException e) {
            return "nothing (" + e.getClass().getSimpleName() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "nothing (interrupted)";
        }
    }

    public static boolean answers200(HttpClient http, HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
