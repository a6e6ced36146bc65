-- The journal's SQLite schema at the head of its migrations: python -m callvault.journal snapshot

CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

INSERT INTO "alembic_version" VALUES('0015');

CREATE TABLE calls (
	id INTEGER NOT NULL, 
	uid TEXT NOT NULL, 
	sip_call_id TEXT, 
	started_at DATETIME NOT NULL, 
	ringing_at DATETIME, 
	answered_at DATETIME, 
	ended_at DATETIME, 
	status TEXT NOT NULL, 
	sip_code INTEGER, 
	reason TEXT, 
	hangup_by TEXT, 
	end_cause TEXT, 
	caller_number TEXT, 
	caller_display_name TEXT, 
	caller_uri TEXT, 
	caller_e164 TEXT, 
	caller_ip TEXT, 
	caller_user_agent TEXT, 
	callee_number TEXT, 
	callee_display_name TEXT, 
	callee_uri TEXT, 
	callee_e164 TEXT, 
	callee_ip TEXT, 
	callee_user_agent TEXT, 
	direction TEXT NOT NULL, 
	transport TEXT, 
	codecs TEXT NOT NULL, 
	source TEXT, 
	ring_ms INTEGER, 
	talk_ms INTEGER NOT NULL, 
	duration_ms INTEGER, 
	stream_count INTEGER NOT NULL, 
	packet_count BIGINT NOT NULL, 
	created_at DATETIME NOT NULL, recording_path TEXT, recording_format TEXT, recording_encoding TEXT, recording_rate INTEGER, recording_started_at DATETIME, recording_duration_ms INTEGER, recording_size BIGINT, recording_sha256 TEXT, audio_issue TEXT, comment TEXT, outcome TEXT, tags TEXT, hold_ms INTEGER, transferred BOOLEAN, wrap_up_ms INTEGER, csat INTEGER, agent_id INTEGER, team_id INTEGER, queue_id INTEGER, tracked_number_id INTEGER, channel TEXT, campaign TEXT, 
	CONSTRAINT pk_calls PRIMARY KEY (id), 
	CONSTRAINT uq_calls_uid UNIQUE (uid)
);

CREATE TABLE streams (
	id INTEGER NOT NULL, 
	call_id INTEGER NOT NULL, 
	seq INTEGER NOT NULL, 
	ssrc BIGINT NOT NULL, 
	src_ip TEXT NOT NULL, 
	src_port INTEGER NOT NULL, 
	dst_ip TEXT NOT NULL, 
	dst_port INTEGER NOT NULL, 
	side TEXT, 
	payload_types TEXT NOT NULL, 
	codec TEXT, 
	packets BIGINT NOT NULL, 
	bytes BIGINT NOT NULL, 
	first_at DATETIME NOT NULL, 
	last_at DATETIME NOT NULL, 
	rtcp_packets BIGINT NOT NULL, expected BIGINT, lost BIGINT, loss_bursts INTEGER, duplicates INTEGER, out_of_order INTEGER, jitter_mean_ms FLOAT, jitter_max_ms FLOAT, max_delta_ms FLOAT, mos FLOAT, not_decodable TEXT, 
	CONSTRAINT pk_streams PRIMARY KEY (id), 
	CONSTRAINT fk_streams_call_id_calls FOREIGN KEY(call_id) REFERENCES calls (id) ON DELETE CASCADE
);

CREATE TABLE events (
	id INTEGER NOT NULL, 
	call_id INTEGER NOT NULL, 
	seq INTEGER NOT NULL, 
	kind TEXT NOT NULL, 
	at DATETIME NOT NULL, 
	offset_ms INTEGER NOT NULL, 
	party TEXT, 
	value TEXT, 
	detail TEXT, 
	CONSTRAINT pk_events PRIMARY KEY (id), 
	CONSTRAINT fk_events_call_id_calls FOREIGN KEY(call_id) REFERENCES calls (id) ON DELETE CASCADE
);

CREATE TABLE users (
	id INTEGER NOT NULL, 
	username TEXT NOT NULL, 
	display_name TEXT, 
	role TEXT NOT NULL, 
	extensions TEXT NOT NULL, 
	team TEXT, 
	password_hash TEXT, 
	disabled BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_users PRIMARY KEY (id), 
	CONSTRAINT uq_users_username UNIQUE (username)
);

CREATE TABLE api_tokens (
	id INTEGER NOT NULL, 
	user_id INTEGER NOT NULL, 
	name TEXT NOT NULL, 
	digest TEXT NOT NULL, 
	created_at DATETIME NOT NULL, 
	last_used_at DATETIME, 
	revoked BOOLEAN NOT NULL, 
	CONSTRAINT pk_api_tokens PRIMARY KEY (id), 
	CONSTRAINT fk_api_tokens_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE, 
	CONSTRAINT uq_api_tokens_digest UNIQUE (digest)
);

CREATE TABLE audit (
	id INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	username TEXT NOT NULL, 
	action TEXT NOT NULL, 
	call_id INTEGER, 
	detail TEXT, 
	client TEXT, 
	CONSTRAINT pk_audit PRIMARY KEY (id)
);

CREATE TABLE teams (
	id INTEGER NOT NULL, 
	name TEXT NOT NULL, 
	department TEXT, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_teams PRIMARY KEY (id), 
	CONSTRAINT uq_teams_name UNIQUE (name)
);

CREATE TABLE tracked_numbers (
	id INTEGER NOT NULL, 
	number TEXT NOT NULL, 
	channel TEXT NOT NULL, 
	campaign TEXT, 
	active BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_tracked_numbers PRIMARY KEY (id), 
	CONSTRAINT uq_tracked_numbers_number UNIQUE (number)
);

CREATE TABLE webhooks (
	id INTEGER NOT NULL, 
	name TEXT NOT NULL, 
	url TEXT NOT NULL, 
	secret TEXT NOT NULL, 
	events TEXT NOT NULL, 
	active BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_webhooks PRIMARY KEY (id), 
	CONSTRAINT uq_webhooks_name UNIQUE (name)
);

CREATE TABLE agents (
	id INTEGER NOT NULL, 
	name TEXT NOT NULL, 
	employee_id TEXT, 
	team_id INTEGER, 
	user_id INTEGER, 
	active BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_agents PRIMARY KEY (id), 
	CONSTRAINT fk_agents_team_id_teams FOREIGN KEY(team_id) REFERENCES teams (id) ON DELETE SET NULL, 
	CONSTRAINT fk_agents_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE SET NULL, 
	CONSTRAINT uq_agents_employee_id UNIQUE (employee_id)
);

CREATE TABLE queues (
	id INTEGER NOT NULL, 
	name TEXT NOT NULL, 
	numbers TEXT NOT NULL, 
	team_id INTEGER, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_queues PRIMARY KEY (id), 
	CONSTRAINT fk_queues_team_id_teams FOREIGN KEY(team_id) REFERENCES teams (id) ON DELETE SET NULL, 
	CONSTRAINT uq_queues_name UNIQUE (name)
);

CREATE TABLE team_supervisors (
	team_id INTEGER NOT NULL, 
	user_id INTEGER NOT NULL, 
	CONSTRAINT pk_team_supervisors PRIMARY KEY (team_id, user_id), 
	CONSTRAINT fk_team_supervisors_team_id_teams FOREIGN KEY(team_id) REFERENCES teams (id) ON DELETE CASCADE, 
	CONSTRAINT fk_team_supervisors_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE TABLE tracked_number_costs (
	id INTEGER NOT NULL, 
	tracked_number_id INTEGER NOT NULL, 
	period_start DATE NOT NULL, 
	period_end DATE NOT NULL, 
	cost NUMERIC(14, 2) NOT NULL, 
	currency TEXT NOT NULL, 
	CONSTRAINT pk_tracked_number_costs PRIMARY KEY (id), 
	CONSTRAINT fk_tracked_number_costs_tracked_number_id_tracked_numbers FOREIGN KEY(tracked_number_id) REFERENCES tracked_numbers (id) ON DELETE CASCADE
);

CREATE TABLE webhook_deliveries (
	id INTEGER NOT NULL, 
	webhook_id INTEGER NOT NULL, 
	event TEXT NOT NULL, 
	call_id INTEGER, 
	payload TEXT NOT NULL, 
	status TEXT NOT NULL, 
	attempts INTEGER NOT NULL, 
	next_attempt_at DATETIME, 
	last_attempt_at DATETIME, 
	response_code INTEGER, 
	error TEXT, 
	created_at DATETIME NOT NULL, 
	delivered_at DATETIME, 
	CONSTRAINT pk_webhook_deliveries PRIMARY KEY (id), 
	CONSTRAINT fk_webhook_deliveries_webhook_id_webhooks FOREIGN KEY(webhook_id) REFERENCES webhooks (id) ON DELETE CASCADE
);

CREATE TABLE agent_extensions (
	id INTEGER NOT NULL, 
	agent_id INTEGER NOT NULL, 
	extension TEXT NOT NULL, 
	CONSTRAINT pk_agent_extensions PRIMARY KEY (id), 
	CONSTRAINT fk_agent_extensions_agent_id_agents FOREIGN KEY(agent_id) REFERENCES agents (id) ON DELETE CASCADE, 
	CONSTRAINT uq_agent_extensions_extension UNIQUE (extension)
);

CREATE TABLE sessions (
	id INTEGER NOT NULL, 
	user_id INTEGER NOT NULL, 
	digest TEXT NOT NULL, 
	created_at DATETIME NOT NULL, 
	last_seen_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	client TEXT, 
	revoked BOOLEAN NOT NULL, 
	CONSTRAINT pk_sessions PRIMARY KEY (id), 
	CONSTRAINT fk_sessions_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE, 
	CONSTRAINT uq_sessions_digest UNIQUE (digest)
);

CREATE TABLE kpi_rollup_dirty (
	hour BIGINT NOT NULL, 
	CONSTRAINT pk_kpi_rollup_dirty PRIMARY KEY (hour)
);

CREATE TABLE kpi_rollup_state (
	"key" TEXT NOT NULL, 
	value TEXT NOT NULL, 
	CONSTRAINT pk_kpi_rollup_state PRIMARY KEY ("key")
);

CREATE TABLE kpi_rollups (
	grain TEXT NOT NULL, 
	dimension TEXT NOT NULL, 
	bucket BIGINT NOT NULL, 
	value TEXT NOT NULL, 
	team_id INTEGER NOT NULL, 
	calls BIGINT NOT NULL, 
	inbound BIGINT NOT NULL, 
	inbound_answered BIGINT NOT NULL, 
	inbound_abandoned BIGINT NOT NULL, 
	outbound BIGINT NOT NULL, 
	outbound_answered BIGINT NOT NULL, 
	handled BIGINT NOT NULL, 
	talk_ms BIGINT NOT NULL, 
	hold_ms BIGINT NOT NULL, 
	wrap_up_ms BIGINT NOT NULL, 
	handle_ms BIGINT NOT NULL, 
	wait_ms BIGINT NOT NULL, 
	answer_wait_ms BIGINT NOT NULL, 
	wait_max_ms BIGINT NOT NULL, 
	answered_within_5 BIGINT NOT NULL, 
	answered_within_10 BIGINT NOT NULL, 
	answered_within_15 BIGINT NOT NULL, 
	answered_within_20 BIGINT NOT NULL, 
	answered_within_30 BIGINT NOT NULL, 
	answered_within_45 BIGINT NOT NULL, 
	answered_within_60 BIGINT NOT NULL, 
	answered_within_90 BIGINT NOT NULL, 
	answered_within_120 BIGINT NOT NULL, 
	answered_within_180 BIGINT NOT NULL, 
	answered_within_300 BIGINT NOT NULL, 
	abandoned_within_5 BIGINT NOT NULL, 
	abandoned_within_10 BIGINT NOT NULL, 
	abandoned_within_15 BIGINT NOT NULL, 
	abandoned_within_20 BIGINT NOT NULL, 
	abandoned_within_30 BIGINT NOT NULL, 
	abandoned_within_45 BIGINT NOT NULL, 
	abandoned_within_60 BIGINT NOT NULL, 
	abandoned_within_90 BIGINT NOT NULL, 
	abandoned_within_120 BIGINT NOT NULL, 
	abandoned_within_180 BIGINT NOT NULL, 
	abandoned_within_300 BIGINT NOT NULL, 
	transferred BIGINT NOT NULL, 
	with_outcome BIGINT NOT NULL, 
	resolved BIGINT NOT NULL, 
	deals BIGINT NOT NULL, 
	deal_prior_contacts BIGINT NOT NULL, 
	repeat_base BIGINT NOT NULL, 
	repeat_24h BIGINT NOT NULL, 
	repeat_7d BIGINT NOT NULL, 
	csat_scored BIGINT NOT NULL, 
	csat_sum BIGINT NOT NULL, 
	mos_calls BIGINT NOT NULL, 
	mos_milli_sum BIGINT NOT NULL, 
	mos_poor BIGINT NOT NULL, 
	rtp_expected BIGINT NOT NULL, 
	rtp_lost BIGINT NOT NULL, 
	CONSTRAINT pk_kpi_rollups PRIMARY KEY (grain, dimension, bucket, value, team_id)
);

CREATE TABLE quality_playlists (
	id INTEGER NOT NULL, 
	name TEXT NOT NULL, 
	description TEXT, 
	created_by TEXT NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_quality_playlists PRIMARY KEY (id), 
	CONSTRAINT uq_quality_playlists_name UNIQUE (name)
);

CREATE TABLE quality_scorecards (
	id INTEGER NOT NULL, 
	name TEXT NOT NULL, 
	active BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_quality_scorecards PRIMARY KEY (id), 
	CONSTRAINT uq_quality_scorecards_name UNIQUE (name)
);

CREATE TABLE quality_playlist_items (
	id INTEGER NOT NULL, 
	playlist_id INTEGER NOT NULL, 
	position INTEGER NOT NULL, 
	call_id INTEGER NOT NULL, 
	start_s FLOAT, 
	end_s FLOAT, 
	note TEXT, 
	CONSTRAINT pk_quality_playlist_items PRIMARY KEY (id), 
	CONSTRAINT fk_quality_playlist_items_call_id_calls FOREIGN KEY(call_id) REFERENCES calls (id) ON DELETE CASCADE, 
	CONSTRAINT fk_quality_playlist_items_playlist_id_quality_playlists FOREIGN KEY(playlist_id) REFERENCES quality_playlists (id) ON DELETE CASCADE
);

CREATE TABLE quality_scorecard_versions (
	id INTEGER NOT NULL, 
	scorecard_id INTEGER NOT NULL, 
	version INTEGER NOT NULL, 
	description TEXT, 
	created_by TEXT, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_quality_scorecard_versions PRIMARY KEY (id), 
	CONSTRAINT fk_quality_scorecard_versions_scorecard_id_quality_scorecards FOREIGN KEY(scorecard_id) REFERENCES quality_scorecards (id) ON DELETE CASCADE
);

CREATE TABLE quality_evaluations (
	id INTEGER NOT NULL, 
	call_id INTEGER NOT NULL, 
	version_id INTEGER NOT NULL, 
	evaluator_id INTEGER, 
	evaluator TEXT NOT NULL, 
	agent_user_id INTEGER, 
	agent TEXT NOT NULL, 
	status TEXT NOT NULL, 
	score FLOAT, 
	comment TEXT, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	submitted_at DATETIME, 
	CONSTRAINT pk_quality_evaluations PRIMARY KEY (id), 
	CONSTRAINT fk_quality_evaluations_agent_user_id_users FOREIGN KEY(agent_user_id) REFERENCES users (id) ON DELETE SET NULL, 
	CONSTRAINT fk_quality_evaluations_call_id_calls FOREIGN KEY(call_id) REFERENCES calls (id) ON DELETE CASCADE, 
	CONSTRAINT fk_quality_evaluations_evaluator_id_users FOREIGN KEY(evaluator_id) REFERENCES users (id) ON DELETE SET NULL, 
	CONSTRAINT fk_quality_evaluations_version_id_quality_scorecard_versions FOREIGN KEY(version_id) REFERENCES quality_scorecard_versions (id) ON DELETE RESTRICT
);

CREATE TABLE quality_sections (
	id INTEGER NOT NULL, 
	version_id INTEGER NOT NULL, 
	position INTEGER NOT NULL, 
	title TEXT NOT NULL, 
	weight FLOAT NOT NULL, 
	CONSTRAINT pk_quality_sections PRIMARY KEY (id), 
	CONSTRAINT fk_quality_sections_version_id_quality_scorecard_versions FOREIGN KEY(version_id) REFERENCES quality_scorecard_versions (id) ON DELETE CASCADE
);

CREATE TABLE quality_moment_comments (
	id INTEGER NOT NULL, 
	call_id INTEGER NOT NULL, 
	offset_s FLOAT NOT NULL, 
	author_id INTEGER, 
	author TEXT NOT NULL, 
	text TEXT NOT NULL, 
	evaluation_id INTEGER, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_quality_moment_comments PRIMARY KEY (id), 
	CONSTRAINT fk_quality_moment_comments_author_id_users FOREIGN KEY(author_id) REFERENCES users (id) ON DELETE SET NULL, 
	CONSTRAINT fk_quality_moment_comments_call_id_calls FOREIGN KEY(call_id) REFERENCES calls (id) ON DELETE CASCADE, 
	CONSTRAINT fk_quality_moment_comments_evaluation_id_quality_evaluations FOREIGN KEY(evaluation_id) REFERENCES quality_evaluations (id) ON DELETE SET NULL
);

CREATE TABLE quality_questions (
	id INTEGER NOT NULL, 
	section_id INTEGER NOT NULL, 
	position INTEGER NOT NULL, 
	text TEXT NOT NULL, 
	kind TEXT NOT NULL, 
	scale_max INTEGER, 
	allow_na BOOLEAN NOT NULL, 
	critical BOOLEAN NOT NULL, 
	weight FLOAT NOT NULL, 
	CONSTRAINT pk_quality_questions PRIMARY KEY (id), 
	CONSTRAINT fk_quality_questions_section_id_quality_sections FOREIGN KEY(section_id) REFERENCES quality_sections (id) ON DELETE CASCADE
);

CREATE TABLE quality_answers (
	id INTEGER NOT NULL, 
	evaluation_id INTEGER NOT NULL, 
	question_id INTEGER NOT NULL, 
	value INTEGER, 
	na BOOLEAN NOT NULL, 
	note TEXT, 
	CONSTRAINT pk_quality_answers PRIMARY KEY (id), 
	CONSTRAINT fk_quality_answers_evaluation_id_quality_evaluations FOREIGN KEY(evaluation_id) REFERENCES quality_evaluations (id) ON DELETE CASCADE, 
	CONSTRAINT fk_quality_answers_question_id_quality_questions FOREIGN KEY(question_id) REFERENCES quality_questions (id) ON DELETE CASCADE
);

CREATE TABLE saved_searches (
	id INTEGER NOT NULL, 
	user_id INTEGER NOT NULL, 
	name TEXT NOT NULL, 
	filters TEXT NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_saved_searches PRIMARY KEY (id), 
	CONSTRAINT fk_saved_searches_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE, 
	CONSTRAINT uq_saved_searches_user_id_name UNIQUE (user_id, name)
);

CREATE TABLE user_preferences (
	user_id INTEGER NOT NULL, 
	preferences TEXT NOT NULL, 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_user_preferences PRIMARY KEY (user_id), 
	CONSTRAINT fk_user_preferences_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE TABLE live_calls (
	call_id TEXT NOT NULL, 
	recorder TEXT NOT NULL, 
	source TEXT NOT NULL, 
	sip_call_id TEXT, 
	started_at DATETIME NOT NULL, 
	answered_at DATETIME, 
	updated_at DATETIME NOT NULL, 
	caller_number TEXT, 
	caller_display_name TEXT, 
	callee_number TEXT, 
	callee_display_name TEXT, 
	direction TEXT, 
	extension TEXT, 
	agent_id INTEGER, 
	team_id INTEGER, 
	recording TEXT NOT NULL, 
	requested TEXT, 
	requested_by TEXT, 
	requested_at DATETIME, 
	recording_path TEXT, 
	revision INTEGER NOT NULL, 
	CONSTRAINT pk_live_calls PRIMARY KEY (call_id)
);

CREATE TABLE siprec_participants (
	id INTEGER NOT NULL, 
	call_uid TEXT NOT NULL, 
	sip_call_id TEXT, 
	position INTEGER NOT NULL, 
	participant_id TEXT NOT NULL, 
	aor TEXT, 
	name TEXT, 
	sends TEXT, 
	receives TEXT, 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_siprec_participants PRIMARY KEY (id), 
	CONSTRAINT uq_siprec_participants_call_uid_participant_id UNIQUE (call_uid, participant_id)
);

CREATE TABLE siprec_streams (
	id INTEGER NOT NULL, 
	call_uid TEXT NOT NULL, 
	label TEXT NOT NULL, 
	stream_id TEXT, 
	sender TEXT, 
	state TEXT NOT NULL, 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_siprec_streams PRIMARY KEY (id), 
	CONSTRAINT uq_siprec_streams_call_uid_label UNIQUE (call_uid, label)
);

CREATE TABLE consent_checks (
	call_id INTEGER NOT NULL, 
	heard BOOLEAN NOT NULL, 
	required BOOLEAN NOT NULL, 
	channel TEXT, 
	offset_ms INTEGER, 
	score FLOAT NOT NULL, 
	checked_at DATETIME NOT NULL, 
	CONSTRAINT pk_consent_checks PRIMARY KEY (call_id), 
	CONSTRAINT fk_consent_checks_call_id_calls FOREIGN KEY(call_id) REFERENCES calls (id) ON DELETE CASCADE
);

CREATE INDEX ix_calls_sip_call_id ON calls (sip_call_id);

CREATE UNIQUE INDEX ix_streams_call_id_seq ON streams (call_id, seq);

CREATE UNIQUE INDEX ix_events_call_id_seq ON events (call_id, seq);

CREATE INDEX ix_audit_at ON audit (at);

CREATE INDEX ix_audit_username ON audit (username);

CREATE INDEX ix_audit_action ON audit (action);

CREATE INDEX ix_audit_call_id ON audit (call_id);

CREATE INDEX ix_agents_team_id ON agents (team_id);

CREATE INDEX ix_agents_user_id ON agents (user_id);

CREATE INDEX ix_queues_team_id ON queues (team_id);

CREATE INDEX ix_team_supervisors_user_id ON team_supervisors (user_id);

CREATE INDEX ix_tracked_number_costs_tracked_number_id_period_start ON tracked_number_costs (tracked_number_id, period_start);

CREATE INDEX ix_webhook_deliveries_call_id ON webhook_deliveries (call_id);

CREATE INDEX ix_webhook_deliveries_status_next_attempt_at ON webhook_deliveries (status, next_attempt_at);

CREATE INDEX ix_webhook_deliveries_webhook_id ON webhook_deliveries (webhook_id);

CREATE INDEX ix_agent_extensions_agent_id ON agent_extensions (agent_id);

CREATE INDEX ix_sessions_user_id ON sessions (user_id);

CREATE INDEX ix_calls_started_at_id ON calls (started_at, id);

CREATE INDEX ix_calls_status_started_at_id ON calls (status, started_at, id);

CREATE INDEX ix_calls_direction_started_at_id ON calls (direction, started_at, id);

CREATE INDEX ix_calls_agent_id_started_at_id ON calls (agent_id, started_at, id);

CREATE INDEX ix_calls_team_id_started_at_id ON calls (team_id, started_at, id);

CREATE INDEX ix_calls_queue_id_started_at_id ON calls (queue_id, started_at, id);

CREATE INDEX ix_calls_tracked_number_id_started_at_id ON calls (tracked_number_id, started_at, id);

CREATE INDEX ix_calls_channel_started_at_id ON calls (channel, started_at, id);

CREATE INDEX ix_calls_campaign_started_at_id ON calls (campaign, started_at, id);

CREATE INDEX ix_calls_channel_campaign_started_at_id ON calls (channel, campaign, started_at, id);

CREATE INDEX ix_calls_commented_started_at_id ON calls (started_at, id) WHERE comment IS NOT NULL;

CREATE INDEX ix_calls_callee_e164_started_at_id ON calls (callee_e164, started_at, id);

CREATE INDEX ix_calls_callee_number_started_at_id ON calls (callee_number, started_at, id);

CREATE INDEX ix_calls_caller_e164_started_at_id ON calls (caller_e164, started_at, id);

CREATE INDEX ix_calls_caller_number_started_at_id ON calls (caller_number, started_at, id);

CREATE INDEX ix_quality_playlist_items_call_id ON quality_playlist_items (call_id);

CREATE INDEX ix_quality_playlist_items_playlist_id_position ON quality_playlist_items (playlist_id, position);

CREATE UNIQUE INDEX ix_quality_scorecard_versions_scorecard_id_version ON quality_scorecard_versions (scorecard_id, version);

CREATE INDEX ix_quality_evaluations_agent_user_id ON quality_evaluations (agent_user_id);

CREATE INDEX ix_quality_evaluations_call_id ON quality_evaluations (call_id);

CREATE INDEX ix_quality_evaluations_version_id ON quality_evaluations (version_id);

CREATE UNIQUE INDEX ix_quality_sections_version_id_position ON quality_sections (version_id, position);

CREATE INDEX ix_quality_moment_comments_call_id ON quality_moment_comments (call_id);

CREATE INDEX ix_quality_moment_comments_evaluation_id ON quality_moment_comments (evaluation_id);

CREATE UNIQUE INDEX ix_quality_questions_section_id_position ON quality_questions (section_id, position);

CREATE UNIQUE INDEX ix_quality_answers_evaluation_id_question_id ON quality_answers (evaluation_id, question_id);

CREATE INDEX ix_live_calls_recorder ON live_calls (recorder);

CREATE INDEX ix_siprec_participants_call_uid ON siprec_participants (call_uid);

CREATE INDEX ix_siprec_streams_call_uid ON siprec_streams (call_uid);

CREATE TRIGGER kpi_rollup_mark_insert AFTER INSERT ON calls FOR EACH ROW BEGIN INSERT INTO kpi_rollup_dirty (hour) SELECT CAST(strftime('%s', substr(NEW.started_at, 1, 13) || ':00:00') AS INTEGER) WHERE NOT EXISTS (SELECT 1 FROM kpi_rollup_dirty WHERE hour = CAST(strftime('%s', substr(NEW.started_at, 1, 13) || ':00:00') AS INTEGER)); END;

CREATE TRIGGER kpi_rollup_mark_update AFTER UPDATE ON calls FOR EACH ROW BEGIN INSERT INTO kpi_rollup_dirty (hour) SELECT CAST(strftime('%s', substr(OLD.started_at, 1, 13) || ':00:00') AS INTEGER) WHERE NOT EXISTS (SELECT 1 FROM kpi_rollup_dirty WHERE hour = CAST(strftime('%s', substr(OLD.started_at, 1, 13) || ':00:00') AS INTEGER)); INSERT INTO kpi_rollup_dirty (hour) SELECT CAST(strftime('%s', substr(NEW.started_at, 1, 13) || ':00:00') AS INTEGER) WHERE NOT EXISTS (SELECT 1 FROM kpi_rollup_dirty WHERE hour = CAST(strftime('%s', substr(NEW.started_at, 1, 13) || ':00:00') AS INTEGER)); END;

CREATE TRIGGER kpi_rollup_mark_delete AFTER DELETE ON calls FOR EACH ROW BEGIN INSERT INTO kpi_rollup_dirty (hour) SELECT CAST(strftime('%s', substr(OLD.started_at, 1, 13) || ':00:00') AS INTEGER) WHERE NOT EXISTS (SELECT 1 FROM kpi_rollup_dirty WHERE hour = CAST(strftime('%s', substr(OLD.started_at, 1, 13) || ':00:00') AS INTEGER)); END;
