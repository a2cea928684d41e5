<?php
/**
 * Payymo hooks for WHMCS: tell Payymo at once when an invoice is created, paid or cancelled,
 * so its invoice snapshot is refreshed without waiting for the next scheduled sync.
 *
 * Install: copy this file to <whmcs>/includes/hooks/payymo_hooks.php and set the two values
 * below from Payymo (POST /api/v1/integrations/webhooks/whmcs answers with both; the secret
 * is shown once). See README.md next to this file.
 *
 * Each event is one JSON POST, {"id", "event", "invoiceid", "occurred_at"}, signed with
 *   X-Payymo-Timestamp: <unix seconds>
 *   X-Payymo-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>" under the secret>
 * Payymo refuses a timestamp more than 300 s from its clock, so keep the server's clock right.
 *
 * A failed delivery is written to WHMCS's activity log and never gets in WHMCS's way; the
 * scheduled sync picks the change up anyway.
 */

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

// --- Configuration -------------------------------------------------------------------------
if (!defined('PAYYMO_WEBHOOK_URL')) {
    define('PAYYMO_WEBHOOK_URL', 'https://payymo.example.com/webhooks/whmcs/CHANGE-ME');
    define('PAYYMO_WEBHOOK_SECRET', 'CHANGE-ME');
    define('PAYYMO_WEBHOOK_TIMEOUT_SECONDS', 5);  // WHMCS waits for the hook: keep it short
}
// --------------------------------------------------------------------------------------------

if (!function_exists('payymo_send_event')) {
    /**
     * POST one event to Payymo; true when Payymo answered 2xx.
     */
    function payymo_send_event($event, $invoiceId)
    {
        if (strpos(PAYYMO_WEBHOOK_URL, 'CHANGE-ME') !== false || PAYYMO_WEBHOOK_SECRET === 'CHANGE-ME') {
            return false;  // not configured yet
        }
        try {
            $body = json_encode(array(
                'id' => bin2hex(random_bytes(16)),
                'event' => $event,
                'invoiceid' => (int) $invoiceId,
                'occurred_at' => gmdate('Y-m-d\TH:i:s\Z'),
            ), JSON_UNESCAPED_SLASHES);
            $timestamp = (string) time();
            $signature = hash_hmac('sha256', $timestamp . '.' . $body, PAYYMO_WEBHOOK_SECRET);

            $curl = curl_init(PAYYMO_WEBHOOK_URL);
            curl_setopt_array($curl, array(
                CURLOPT_POST => true,
                CURLOPT_POSTFIELDS => $body,
                CURLOPT_RETURNTRANSFER => true,
                CURLOPT_CONNECTTIMEOUT => PAYYMO_WEBHOOK_TIMEOUT_SECONDS,
                CURLOPT_TIMEOUT => PAYYMO_WEBHOOK_TIMEOUT_SECONDS,
                CURLOPT_HTTPHEADER => array(
                    'Content-Type: application/json',
                    'User-Agent: payymo-whmcs-hooks/1.0',
                    'X-Payymo-Timestamp: ' . $timestamp,
                    'X-Payymo-Signature: v1=' . $signature,
                ),
            ));
            curl_exec($curl);
            $status = (int) curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
            $error = curl_error($curl);
            curl_close($curl);
            if ($status >= 200 && $status < 300) {
                return true;
            }
            $reason = $error !== '' ? $error : 'HTTP ' . $status;
        } catch (\Throwable $e) {
            $reason = get_class($e) . ': ' . $e->getMessage();
        }
        if (function_exists('logActivity')) {
            logActivity('Payymo webhook ' . $event . ' for invoice ' . (int) $invoiceId
                . ' was not delivered: ' . $reason);
        }
        return false;
    }
}

foreach (array('InvoiceCreated', 'InvoicePaid', 'InvoiceCancelled') as $payymoEvent) {
    add_hook($payymoEvent, 1, function ($vars) use ($payymoEvent) {
        if (!empty($vars['invoiceid'])) {
            payymo_send_event($payymoEvent, $vars['invoiceid']);
        }
    });
}
