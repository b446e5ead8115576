from bot.trainer import evaluate


def scored(f1, low, high, messages=14):
    return {"f1": f1, "low": low, "high": high, "messages": messages}


def figures(macro, pricing, stories=22, suite_passed=130, failed=()):
    return {"at": "now", "model": {"fingerprint": "a1b2c3d4e5f6", "commit": "1234abc"},
            "suite": {"passed": suite_passed, "total": 130, "failed": list(failed),
                      "categories": {"openings": [12 - (130 - suite_passed), 12], "ordinary": [15, 15]}},
            "holdout": {"macro_f1": macro, "accuracy": macro,
                                     "intents": {"ask_pricing": scored(pricing, pricing, pricing),
                                                 "greet": scored(1.0, 1.0, 1.0)},
                                     "confusions": [{"intent": "ask_pricing", "predicted": "inform", "count": 2}]},
            "cross_validation": {"folds": 3, "macro_f1": 0.95, "intents": {"ask_pricing": 0.9, "greet": 1.0}},
            "stories": {"correct": stories, "total": 22}}


def test_a_planted_regression_is_reported_as_down_and_improvements_as_up():
    changes = evaluate.compare(figures(0.93, 0.95), figures(0.91, 0.80, stories=21))
    assert "DOWN: held-out macro F1 0.930 → 0.910" in changes
    assert "DOWN: held-out F1 of ask_pricing 0.950 → 0.800" in changes
    assert "DOWN: test stories passing 1.000 → 0.955" in changes
    assert not any("greet" in change for change in changes)
    suite = evaluate.compare(figures(0.93, 0.95), figures(0.93, 0.95, suite_passed=128, failed=["asks for a demo"]))
    assert "DOWN: conversation suite passing 1.000 → 0.985" in suite
    assert "DOWN: conversation suite, openings 1.000 → 0.833" in suite
    assert "DOWN: now failing in the conversation suite: asks for a demo" in suite
    assert evaluate.compare(figures(0.91, 0.80), figures(0.93, 0.95))[0] == "up: held-out macro F1 0.910 → 0.930"
    assert evaluate.compare(figures(0.93, 0.95), figures(0.93, 0.95)) == ["No score moved by more than 0.005."]
    assert evaluate.compare(None, figures(0.93, 0.95)) == ["First run: nothing to compare with."]


def test_the_report_states_scores_threshold_changes_and_confusions():
    text = evaluate.markdown(figures(0.91, 0.80), ["DOWN: something"], {"holdout_macro_f1": 0.9})
    assert "macro F1 **0.910** (CI fails below 0.90)" in text
    assert "- DOWN: something" in text and "| ask_pricing | 0.800 | 0.800–0.800 | 14 | 0.900 |" in text
    assert "| ask_pricing | inform | 2 |" in text and "intent_confusion_matrix.png" in text
    assert "Conversation suite (tests/e2e/visitors, the whole stack): 130 of 130 visitors pass" in text
    assert "| openings | 12 | 12 |" in text



def test_a_move_inside_the_baselines_interval_is_noise_and_one_outside_it_is_a_change():
    baseline, now = figures(0.93, 0.95), figures(0.93, 0.95)
    baseline["holdout"]["intents"] = {"ask_pricing": scored(0.95, 0.85, 1.0), "deny": scored(0.857, 0.70, 0.95)}
    now["holdout"]["intents"] = {"ask_pricing": scored(0.90, 0.80, 0.97), "deny": scored(0.60, 0.45, 0.75)}
    changes = evaluate.compare(baseline, now)
    assert "DOWN: held-out F1 of deny 0.857 → 0.600" in changes
    assert "within the 90% interval of the reference (noise, not a change): ask_pricing 0.950 → 0.900" in changes
    assert not any(change.startswith(("up", "DOWN")) and "ask_pricing" in change for change in changes)


def test_the_comparison_lists_a_planted_changed_prediction_and_names_both_models():
    baseline, now = figures(0.93, 0.95), figures(0.92, 0.95)
    baseline["model"] = {"fingerprint": "0f0f0f0f0f0f", "commit": "aaa1111"}
    now["model"] = {"fingerprint": "e9e9e9e9e9e9", "commit": "bbb2222 with uncommitted changes"}
    baseline["holdout"]["predictions"] = {
        "what does it cost for 12 seats": {"intent": "ask_pricing", "predicted": "ask_pricing", "confidence": 0.97},
        "nah": {"intent": "deny", "predicted": "inform", "confidence": 0.51},
        "hello": {"intent": "greet", "predicted": "greet", "confidence": 0.99}}
    now["holdout"]["predictions"] = {
        "what does it cost for 12 seats": {"intent": "ask_pricing", "predicted": "inform", "confidence": 0.62},
        "nah": {"intent": "deny", "predicted": "deny", "confidence": 0.77},
        "hello": {"intent": "greet", "predicted": "greet", "confidence": 0.98}}
    assert evaluate.changed_predictions(baseline, now) == [
        "fixed: “nah” (deny): inform 0.51 → deny 0.77",
        "BROKEN: “what does it cost for 12 seats” (ask_pricing): ask_pricing 0.97 → inform 0.62"]
    text = evaluate.markdown(now, evaluate.compare(baseline, now), {"holdout_macro_f1": 0.9}, baseline, "the baseline")
    assert "- This run: now, model e9e9e9e9e9e9 at commit bbb2222 with uncommitted changes" in text
    assert "- Compared with the baseline: now, model 0f0f0f0f0f0f at commit aaa1111" in text
    assert "## Held-out messages read differently since the baseline (2)" in text
    assert "- BROKEN: “what does it cost for 12 seats” (ask_pricing): ask_pricing 0.97 → inform 0.62" in text


def test_each_intents_interval_holds_its_f1_and_narrows_with_more_messages():
    few = {f"{n}": {"intent": "deny" if n % 2 else "affirm", "predicted": "deny" if n % 4 != 1 else "affirm"}
           for n in range(20)}
    many = {f"{n}": {"intent": "deny" if n % 2 else "affirm", "predicted": "deny" if n % 4 != 1 else "affirm"}
            for n in range(400)}
    small, large = evaluate.intent_scores(few)["deny"], evaluate.intent_scores(many)["deny"]
    assert small["messages"] == 10 and large["messages"] == 200
    assert small["low"] <= small["f1"] <= small["high"] and large["low"] <= large["f1"] <= large["high"]
    assert abs(small["f1"] - large["f1"]) < 0.01
    assert large["high"] - large["low"] < (small["high"] - small["low"]) / 2
    assert evaluate.intent_scores(few) == evaluate.intent_scores(few)  # the same every run


def test_validation_fails_on_a_response_nothing_says_and_lists_those_forms_and_actions_say():
    from bot.trainer import validation

    domain = {"forms": {"interview_form": {"required_slots": ["struggle"]}},
              "responses": {"utter_ask_struggle": [], "utter_is_bot": [], "utter_forgotten": []}}
    output = "\n".join(f"/x/io.py:100: UserWarning: The utterance '{name}' is not used in any story or rule."
                       for name in ("utter_ask_struggle", "utter_is_bot", "utter_forgotten"))
    output += "\n/x/slot_mappings.py:224: UserWarning: Slot auto-fill has been removed in 3.0 and replaced with"
    problems, explained = validation.judge(output, domain, 'dispatcher.utter_message(response="utter_is_bot")')
    assert explained == ["utter_ask_struggle", "utter_is_bot"]
    assert problems == ["the response utter_forgotten is never said: no story, rule, form or action uses it"]
    other = "/x/validator.py:1: UserWarning: The intent 'ask_weather' is not used in any story or rule."
    assert validation.judge(other, domain, "")[0] == [
        "UserWarning: The intent 'ask_weather' is not used in any story or rule."]


def with_seeds(figures_, scores, readings):
    """`readings`: text -> (intent, [what each seed read]); the first seed is the model itself."""
    figures_["holdout"]["macro_f1"] = scores[0]
    figures_["holdout"]["predictions"] = {text: {"intent": intent, "predicted": read[0], "confidence": 0.6}
                                          for text, (intent, read) in readings.items()}
    figures_["holdout"]["seeds"] = [{"seed": n + 1, "macro_f1": score,
                                     "predictions": {text: read[n] for text, (_, read) in readings.items()}}
                                    for n, score in enumerate(scores)]
    return figures_


def test_other_training_seeds_tell_what_a_change_did_from_what_training_alone_moves():
    baseline = with_seeds(figures(0.93, 0.95), [0.926, 0.918, 0.931], {
        "can i speak to whoever sells this": ("request_human", ["inform", "inform", "inform"]),
        "dunno maybe": ("dont_know", ["dont_know", "inform", "dont_know"]),
        "does it do sso": ("ask_security", ["ask_security", "ask_security", "ask_security"]),
        "hi there": ("greet", ["greet", "greet", "greet"])})
    after = with_seeds(figures(0.93, 0.95), [0.934, 0.930, 0.941], {
        "can i speak to whoever sells this": ("request_human", ["request_human"] * 3),
        "dunno maybe": ("dont_know", ["inform", "dont_know", "dont_know"]),
        "does it do sso": ("ask_security", ["ask_security", "ask_integrations", "ask_onboarding"]),
        "hi there": ("greet", ["greet", "greet", "greet"])})
    assert evaluate.changed_predictions(baseline, after) == [
        "fixed: “can i speak to whoever sells this” (request_human): inform 0.60 → request_human 0.60; "
        "right with 0 of 3 seeds → 3 of 3",
        "weaker: “does it do sso” (ask_security): ask_security 0.60 → ask_security 0.60; "
        "right with 3 of 3 seeds → 1 of 3",
        "BROKEN: “dunno maybe” (dont_know): dont_know 0.60 → inform 0.60; right with 2 of 3 seeds → 2 of 3"]
    assert "up: held-out macro F1, mean of 3 training seeds 0.925 → 0.935" in evaluate.compare(baseline, after)
    text = evaluate.markdown(after, [], {"holdout_macro_f1": 0.9}, baseline, "the baseline")
    assert ("- This run's data trained with 3 seeds (1, 2, 3): held-out macro F1 0.934, 0.930, 0.941 (mean 0.935)"
            in text)
    assert "- The baseline's data trained with 3 seeds (1, 2, 3): held-out macro F1 0.926, 0.918, 0.931" in text

    one_model = figures(0.92, 0.95)  # `make evaluate` without SEEDS: the baseline's seeds are the noise
    one_model["holdout"]["predictions"] = {"dunno maybe": {"intent": "dont_know", "predicted": "inform",
                                                           "confidence": 0.5}}
    assert ("held-out macro F1 0.926 → 0.920: within what the reference's data scores with 3 training seeds "
            "(0.918–0.931), training noise, not a change") in evaluate.compare(baseline, one_model)
    assert evaluate.changed_predictions(baseline, one_model) == [
        "BROKEN: “dunno maybe” (dont_know): dont_know 0.60 → inform 0.50; right with 2 of 3 seeds before"]
    one_model["holdout"]["macro_f1"] = 0.90
    assert "DOWN: held-out macro F1 0.926 → 0.900" in evaluate.compare(baseline, one_model)


def test_another_seed_is_trained_from_the_same_configuration_and_only_from_the_current_data(tmp_path, monkeypatch):
    import pytest
    import yaml

    from bot import config

    evaluate._config_with_seed(7, tmp_path / "seven.yml")
    ours, seven = (yaml.safe_load(path.read_text()) for path in (config.ROOT / "config.yml", tmp_path / "seven.yml"))
    diet = [n for n, part in enumerate(ours["pipeline"]) if part["name"] == "DIETClassifier"][0]
    assert seven["pipeline"][diet]["random_seed"] == 7 != ours["pipeline"][diet]["random_seed"]
    seven["pipeline"][diet]["random_seed"] = ours["pipeline"][diet]["random_seed"]
    assert seven == ours
    stale = tmp_path / "current.fingerprint"
    stale.write_text("trained from other data")
    monkeypatch.setattr(evaluate, "FINGERPRINT", stale)
    with pytest.raises(RuntimeError, match="run `make train` first"):
        evaluate.other_seeds(2, tmp_path)
