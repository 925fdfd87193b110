/**
 * Registers the text formats and JSON shape decoders, in sniffing order: W3C and Zeek TSV first
 * (their `#` headers are unambiguous), then auditd (its lines may carry a syslog prefix), syslog
 * and access logs. JSON decoders run after the Windows ones and before the generic fallback:
 * Zeek (`_path`, or `uid` with `id.orig_h`), then Suricata EVE (`event_type`).
 */
import './text/w3c.js';
import './text/zeek-tsv.js';
import './text/auditd.js';
import './text/syslog.js';
import './text/access-log.js';
import './network/zeek-json.js';
import './network/suricata-eve.js';
