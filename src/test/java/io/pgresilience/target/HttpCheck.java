package io.pgresilience.target;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** One probe of a gateway that is starting: does the URL answer 200 now? Not yet listening is simply "no". */
public final class HttpCheck {

    private HttpCheck() {
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
